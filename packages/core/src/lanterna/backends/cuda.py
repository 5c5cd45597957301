"""``torch.backends.cuda``: PyTorch's CUDA math switches (``matmul.allow_tf32`` ...).

These are PyTorch's flag modules, not a device: the CUDA device itself is the lanterna-cuda
plugin. The flags are kept so that scripts setting them run; Lanterna's CuPy backend computes
float32 products in float32 whatever they say.
"""


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    def __repr__(self):
        return f"<torch.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


matmul = _Matmul()
cufft_plan_cache = None


def is_built():
    from .registry import REGISTRY

    return "cuda" in REGISTRY.backends


def preferred_linalg_library(backend=None):
    return "default"


def flash_sdp_enabled():
    return False


def mem_efficient_sdp_enabled():
    return False


def math_sdp_enabled():
    return True


def enable_flash_sdp(enabled):
    pass


def enable_mem_efficient_sdp(enabled):
    pass


def enable_math_sdp(enabled):
    pass
