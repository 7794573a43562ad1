"""Developer tools: the benchmarks and scripted demo sessions (not part of the app's menus)."""
