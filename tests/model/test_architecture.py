from model.architecture import CNN_PARAMS, CNN_TABLE, DENSE_PARAMS, LayerRow, build_cnn, build_dense


def layer_rows(model) -> list[LayerRow]:
    """The model's layers as Keras lists them (input left out): name, type, output shape
    (batch dimension left out) and parameters, as in model.summary()."""
    return [
        LayerRow(layer.name, type(layer).__name__, tuple(int(d) for d in layer.output.shape[1:]),
                 int(layer.count_params()))
        for layer in model.layers
        if type(layer).__name__ != "InputLayer"
    ]


def test_cnn_matches_the_seed_summary_table():
    model = build_cnn()
    assert layer_rows(model) == list(CNN_TABLE)
    assert [row.params for row in CNN_TABLE] == [640, 0, 36_928, 0, 0, 204_928, 1_290]
    assert [row.output_shape for row in CNN_TABLE] == [
        (26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64), (1600,), (128,), (10,)
    ]
    assert model.count_params() == CNN_PARAMS == 243_786


def test_dense_network_is_the_seed_first_network():
    model = build_dense()
    rows = layer_rows(model)
    assert [(r.kind, r.output_shape, r.params) for r in rows] == [
        ("Flatten", (784,), 0),
        ("Dense", (128,), 100_480),
        ("Dense", (10,), 1_290),
    ]
    assert model.count_params() == DENSE_PARAMS == 101_770
    assert model.layers[-1].activation.__name__ == "softmax"
