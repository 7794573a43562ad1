"""Debian packages the project needs on a machine: installed when running as root, otherwise
one line saying the exact command. Used for the Fashion-MNIST data package and for the
libraries Qt's platform plugin needs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence


class AptError(Exception):
    """The packages could not be installed; str() is one line, naming the command to run."""


def can_install() -> bool:
    """Running as root on a machine with apt-get (Debian, Ubuntu)."""
    return shutil.which("apt-get") is not None and os.geteuid() == 0


def command(packages: Sequence[str]) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


def install(packages: Sequence[str], log=print) -> None:
    """``apt-get install`` ``packages`` (an ``apt-get update`` first if that fails); AptError
    with the command to run when this process cannot, or when apt-get fails."""
    if not can_install():
        raise AptError(f"run: {command(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run = ["apt-get", "install", "-y", "-q", *packages]
    log(f"installing Debian packages: {' '.join(packages)} ...")
    if subprocess.run(run, capture_output=True, env=env).returncode == 0:
        return
    log("apt-get install failed; running apt-get update first")
    subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
    proc = subprocess.run(run, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise AptError(f"apt-get install {' '.join(packages)} failed ({reason[:200]})")
