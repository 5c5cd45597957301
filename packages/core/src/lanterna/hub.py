"""``lanterna.hub`` (``torch.hub``): downloading checkpoints works; loading hub *models* does not.

``load_state_dict_from_url`` downloads into ``get_dir()/checkpoints`` (``$TORCH_HOME/hub``,
default ``~/.cache/torch/hub``, shared with PyTorch) and loads the file with ``torch.load``.
``hub.load``/``list``/``help`` run a repository's PyTorch code, which Lanterna cannot import as
``torch``: they raise a clear error.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

_hub_dir = None
_HASH = re.compile(r"-([a-f0-9]*)\.")


def get_dir():
    if _hub_dir is not None:
        return _hub_dir
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(
        os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))
    return os.path.join(torch_home, "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to ``dst`` (through a temporary file), checking a SHA-256 prefix if given."""
    dst = os.path.expanduser(dst)
    sha256 = hashlib.sha256()
    folder = os.path.dirname(os.path.abspath(dst))
    with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "torch.hub"})) as response, \
            tempfile.NamedTemporaryFile(delete=False, dir=folder) as f:
        while chunk := response.read(1 << 20):
            f.write(chunk)
            sha256.update(chunk)
    if hash_prefix is not None and not sha256.hexdigest().startswith(hash_prefix):
        os.remove(f.name)
        raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{sha256.hexdigest()}")')
    shutil.move(f.name, dst)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=False):
    """Download (once, cached) and ``torch.load`` a checkpoint, as PyTorch does."""
    from .serialization import load as torch_load

    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        match = _HASH.search(filename) if check_hash else None
        download_url_to_file(url, cached, match.group(1) if match else None, progress=progress)
    return torch_load(cached, map_location=map_location, weights_only=weights_only)


def _no_hub_code(name):
    raise NotImplementedError(f"torch.hub.{name} is not supported by Lanterna: hub repositories are PyTorch code "
                              "(hubconf.py imports torch). Build the model in Lanterna and load its weights with "
                              "torch.hub.load_state_dict_from_url instead")


def load(repo_or_dir, model, *args, **kwargs):
    _no_hub_code("load")


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):  # noqa: A001
    _no_hub_code("list")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    _no_hub_code("help")
