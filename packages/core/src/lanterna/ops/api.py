"""The ``lanterna`` (``torch``) namespace: which module defines each of its functions.

Each op family loads when one of its names is first used (``lanterna.__getattr__`` reads
:data:`WHERE`), which keeps ``import lanterna`` fast.

>>> import lanterna as torch
>>> torch.sort(torch.tensor([3, 1, 2])).values   # loads the sorting family on first use
tensor([1, 2, 3])
"""

from __future__ import annotations

import importlib

#: module (relative to ``lanterna``) -> the names it gives the ``lanterna`` namespace
FAMILIES = {
    "ops.compare": "allclose bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift "
                   "bitwise_xor eq equal ge greater greater_equal gt isclose le less less_equal logical_and "
                   "logical_or logical_xor lt ne not_equal",
    "ops.creation": "Generator arange as_tensor asarray bernoulli empty empty_like eye from_numpy full "
                    "full_like linspace logspace multinomial normal ones ones_like poisson rand rand_like "
                    "randint randint_like randn randn_like randperm range tensor zeros zeros_like",
    "ops.elementwise": "add div divide floor_divide fmod mul multiply pow remainder rsub sub subtract "
                       "true_divide",
    "ops.index": "index_put",
    "ops.reduce": "all amax amin aminmax any argmax argmin count_nonzero max mean min nanmean nansum prod sum",
    "ops.shape": "adjoint as_strided atleast_1d atleast_2d atleast_3d broadcast_shapes broadcast_tensors "
                 "broadcast_to clone flatten moveaxis movedim permute reshape squeeze swapaxes swapdims t "
                 "transpose unflatten unsqueeze",
    "ops.unary": "abs absolute acos acosh angle arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan "
                 "atanh ceil conj conj_physical cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac imag "
                 "is_conj is_neg isfinite isinf isnan isneginf isposinf isreal log log10 log1p log2 logical_not "
                 "logit neg negative positive rad2deg real reciprocal relu resolve_conj resolve_neg round rsqrt "
                 "sgn sigmoid sign signbit sin sinc sinh sqrt square tan tanh trunc",
    "ops.einsum": "einsum",
    "ops.gather": "argwhere gather index_add index_copy index_fill index_select masked_scatter masked_select "
                  "nonzero scatter scatter_add scatter_reduce take take_along_dim",
    "ops.joining": "cat chunk column_stack concat concatenate dstack flip fliplr flipud hstack narrow "
                   "repeat_interleave roll rot90 row_stack select split stack tensor_split tile tril triu "
                   "unbind vstack",
    "ops.linalg": "addbmm addmm addmv addr baddbmm bmm cross dot ger inner kron matmul mm mv outer tensordot "
                  "vdot",
    "ops.linalg_extra": "cholesky det inverse logdet matrix_power pinverse slogdet",
    "ops.misc": "bincount block_diag bucketize cartesian_prod combinations diag diag_embed diagonal "
                "diagonal_scatter diff dist histc is_nonzero meshgrid ravel searchsorted trace tril_indices "
                "triu_indices unique unique_consecutive",
    "ops.pointwise": "addcdiv addcmul arctan2 atan2 clamp clamp_max clamp_min clip copysign float_power fmax "
                     "fmin heaviside hypot lerp logaddexp logaddexp2 masked_fill maximum minimum nan_to_num "
                     "where xlogy",
    "ops.sorting": "argsort kthvalue msort sort topk",
    "ops.stats": "cummax cummin cumprod cumsum logcumsumexp logsumexp median mode norm std std_mean var "
                 "var_mean",
    # nn primitives also reachable as torch.<name> (their nn.functional forms live in lanterna.nn)
    "ops.nn_activation": "celu log_softmax selu softmax threshold",
    "ops.nn_conv": "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d",
    "ops.nn_ctc": "ctc_loss",
    "ops.nn_distance": "cdist cosine_similarity pairwise_distance pdist",
    "ops.nn_dropout": "alpha_dropout dropout feature_dropout",
    "ops.nn_grid": "affine_grid_generator grid_sampler",
    "ops.nn_linear": "bilinear",
    "ops.nn_norm": "group_norm layer_norm",
    "ops.nn_pool": "adaptive_avg_pool1d adaptive_max_pool1d avg_pool1d max_pool1d max_pool2d max_pool3d",
    "ops.nn_top": "batch_norm embedding embedding_bag",
    "ops.nn_aten": "binary_cross_entropy_with_logits channel_shuffle constant_pad_nd convolution "
                   "cosine_embedding_loss feature_alpha_dropout feature_alpha_dropout_ frobenius_norm hardshrink "
                   "hinge_embedding_loss instance_norm kl_div margin_ranking_loss max_pool1d_with_indices "
                   "native_batch_norm native_channel_shuffle native_dropout native_group_norm native_layer_norm "
                   "nuclear_norm pixel_shuffle pixel_unshuffle poisson_nll_loss prelu rms_norm rrelu rrelu_ "
                   "triplet_margin_loss",
    # torch._foreach_* list ops (used by the optimizers)
    "ops.foreach": "_foreach_abs _foreach_abs_ _foreach_add _foreach_add_ _foreach_addcdiv _foreach_addcdiv_ "
                   "_foreach_addcmul _foreach_addcmul_ _foreach_clamp_max _foreach_clamp_max_ _foreach_clamp_min "
                   "_foreach_clamp_min_ _foreach_copy_ _foreach_div _foreach_div_ _foreach_exp _foreach_exp_ "
                   "_foreach_lerp _foreach_lerp_ _foreach_maximum _foreach_maximum_ _foreach_minimum "
                   "_foreach_minimum_ _foreach_mul _foreach_mul_ _foreach_neg _foreach_neg_ _foreach_norm "
                   "_foreach_reciprocal _foreach_reciprocal_ _foreach_sign _foreach_sign_ _foreach_sqrt "
                   "_foreach_sqrt_ _foreach_sub _foreach_sub_ _foreach_zero_",
    # process-wide settings
    "_runtime": "are_deterministic_algorithms_enabled get_default_device get_deterministic_debug_mode "
                "get_float32_matmul_precision get_num_interop_threads get_num_threads is_inference "
                "is_deterministic_algorithms_warn_only_enabled set_default_device set_deterministic_debug_mode "
                "set_float32_matmul_precision set_num_interop_threads set_num_threads use_deterministic_algorithms "
                "compiled_with_cxx11_abi get_device has_lapack has_mkl has_openmp has_spectral is_distributed "
                "is_warn_always_enabled set_flush_denormal set_warn_always",
    "_layout": "channels_last channels_last_3d contiguous_format layout legacy_contiguous_format memory_format "
               "preserve_format strided",
    "_stream": "Event Stream",
    "_errors": "AcceleratorError OutOfMemoryError",
    # torch.<op>_(t, ...): the functional in-place forms (generated from this list)
    "ops.inplace_functional": "abs_ acos_ acosh_ addmv_ alpha_dropout_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ "
                              "arctanh_ as_strided_ asin_ asinh_ atan_ atanh_ ceil_ celu_ clamp_ clamp_max_ "
                              "clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ dropout_ erf_ erfc_ exp2_ exp_ expm1_ "
                              "feature_dropout_ fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ "
                              "log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ "
                              "resize_as_ round_ rsqrt_ selu_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ "
                              "threshold_ trunc_ xlogy_ zero_",
    "ops.specfun": "digamma erfinv i0 igamma igammac lgamma mvlgamma polygamma",
    "ops.numeric": "frexp gcd is_same_size is_signed isin lcm ldexp nextafter scalar_tensor unravel_index",
    "ops.stats_extra": "corrcoef cov cumulative_trapezoid histogram nanmedian nanquantile quantile renorm "
                       "trapezoid trapz vander",
    "ops.layout": "diagflat dsplit empty_strided frombuffer hsplit index_reduce put select_scatter "
                  "slice_scatter split_with_sizes vsplit",
    "ops.windows": "bartlett_window blackman_window hamming_window hann_window kaiser_window",
    "ops.linalg_more": "chain_matmul cholesky_inverse cholesky_solve geqrf lu lu_solve lu_unpack matrix_exp orgqr "
                       "qr svd triangular_solve",
    "ops.copies": "alias_copy as_strided_copy as_strided_scatter detach_copy diagonal_copy expand_copy fill "
                  "narrow_copy permute_copy select_copy slice_copy split_copy split_with_sizes_copy squeeze_copy "
                  "t_copy transpose_copy unbind_copy unfold_copy unsafe_chunk unsafe_split unsafe_split_with_sizes "
                  "unsqueeze_copy view_copy",
    "random_api": "default_generator get_rng_state initial_seed manual_seed seed set_rng_state",
    "serialization": "load save",
    "amp": "GradScaler autocast get_autocast_dtype is_autocast_available is_autocast_enabled",
    "func": "vmap",  # torch.vmap is torch.func.vmap
    "ops.storage_api": "from_dlpack",
    "storage": "BoolStorage ByteStorage CharStorage DoubleStorage FloatStorage HalfStorage IntStorage LongStorage "
               "ShortStorage TypedStorage UntypedStorage",
}

#: torch name -> its name in the defining module, where they differ
RENAMED = {"orgqr": "householder_product", "multiply": "mul", "subtract": "sub",
           "divide": "div", "true_divide": "div",
           "lu": "lu_legacy", "lu_solve": "lu_solve_legacy", "range": "range_"}

#: submodules that are attributes of ``lanterna`` (``torch.linalg``, ``torch.return_types`` ...)
SUBMODULES = {"linalg": "linalg", "return_types": "ops.return_types", "random_api": "random_api",
              "serialization": "serialization", "special": "special", "func": "func", "futures": "futures",
              "random": "random_api", "amp": "amp", "accelerator": "accelerator", "distributions": "distributions",
              "fft": "fft", "hub": "hub", "jit": "jit", "onnx": "onnx", "profiler": "profiler",
              "testing": "testing", "storage": "storage"}

#: name -> the module (relative to ``lanterna``) that defines it
WHERE = {name: module for module, names in FAMILIES.items() for name in names.split()}

__all__ = sorted(n for n in WHERE if not n.startswith("_"))


def resolve(name):
    """The object ``lanterna.<name>`` stands for (importing its module), or None if unknown."""
    module = SUBMODULES.get(name)
    if module is not None:
        return importlib.import_module(f"lanterna.{module}")
    module = WHERE.get(name)
    if module is None:
        return None
    return getattr(importlib.import_module(f"lanterna.{module}"), RENAMED.get(name, name))


def __getattr__(name):
    value = resolve(name) if name in WHERE else None
    if value is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    return value
