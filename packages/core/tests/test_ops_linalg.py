"""Matrix products with batch broadcasting, einsum, and the small linear-algebra helpers."""

import numpy as np

from optest import ErrorSpec, OpSpec, arr, make_tests

M23 = arr(2, 3)
M34 = arr(3, 4)
B234 = arr(2, 3, 4)
B245 = arr(2, 4, 5)
V3 = arr(3)
V4 = arr(4)
SQ = arr(3, 3)
SPD = (lambda a: (a @ a.T + 3 * np.eye(3)).astype(np.float32))(arr(3, 3, seed=4))


def L(name, fn, args, ref=None, **kw):
    return OpSpec(name, fn, args, ref=ref, **kw)


SPECS = [
    L("matmul_2d", lambda T, a, b: a @ b, [M23, M34], np.matmul),
    L("mm", lambda T, a, b: T.mm(a, b), [M23, M34], np.matmul),
    L("matmul_2d_1d", lambda T, a, b: T.matmul(a, b), [M23, V3], np.matmul),
    L("matmul_1d_2d", lambda T, a, b: a @ b, [V3, M34], np.matmul),
    L("matmul_1d_1d", lambda T, a, b: a.matmul(b), [V3, V3 + 1], np.matmul),
    L("matmul_3d_3d", lambda T, a, b: a @ b, [B234, B245], np.matmul),
    L("matmul_3d_2d", lambda T, a, b: a @ b, [B234, arr(4, 2)], np.matmul),
    L("matmul_2d_3d", lambda T, a, b: a @ b, [M34.T.copy(), B234], np.matmul),
    L("matmul_3d_1d", lambda T, a, b: a @ b, [B234, V4], np.matmul),
    L("matmul_1d_3d", lambda T, a, b: a @ b, [V3, B234], np.matmul),
    L("matmul_broadcast_batch", lambda T, a, b: a @ b, [arr(2, 1, 3, 4), arr(3, 4, 2)], np.matmul),
    L("matmul_4d", lambda T, a, b: a @ b, [arr(2, 2, 3, 4), arr(2, 2, 4, 2)], np.matmul),
    L("rmatmul_numpy", lambda T, a: a.__rmatmul__(a.t()), [M23], lambda a: a.T @ a),
    L("bmm", lambda T, a, b: T.bmm(a, b), [B234, B245], np.matmul),
    L("mv", lambda T, a, b: T.mv(a, b), [M23, V3], np.matmul),
    L("dot", lambda T, a, b: T.dot(a, b), [V3, V3 * 2], np.dot),
    L("vdot", lambda T, a, b: T.vdot(a, b), [V3, V3 * 2], np.dot),
    L("inner_1d", lambda T, a, b: T.inner(a, b), [V3, V3 * 2], np.inner),
    L("inner_2d", lambda T, a, b: T.inner(a, b), [M23, arr(4, 3)], np.inner),
    L("outer", lambda T, a, b: T.outer(a, b), [V3, V4], np.outer),
    L("ger", lambda T, a, b: a.ger(b), [V3, V4], np.outer),
    L("addmm", lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2), [arr(4), M23, M34],
      lambda c, a, b: 0.5 * c + 2 * a @ b),
    L("addmv", lambda T, c, a, b: T.addmv(c, a, b), [arr(2), M23, V3], lambda c, a, b: c + a @ b),
    L("baddbmm", lambda T, c, a, b: T.baddbmm(c, a, b, alpha=0.5), [arr(2, 3, 5), B234, B245],
      lambda c, a, b: c + 0.5 * a @ b),
    L("addbmm", lambda T, c, a, b: T.addbmm(c, a, b), [arr(3, 5), B234, B245], lambda c, a, b: c + (a @ b).sum(0)),
    L("addr", lambda T, c, a, b: T.addr(c, a, b), [arr(3, 4), V3, V4], lambda c, a, b: c + np.outer(a, b)),
    L("matmul_int", lambda T, a, b: a @ b, [np.arange(6).reshape(2, 3), np.arange(3)], np.matmul),
    L("einsum_mm", lambda T, a, b: T.einsum("ij,jk->ik", a, b), [M23, M34], np.matmul, grad_fn=False),
    L("einsum_list_operands", lambda T, a, b: T.einsum("ij,jk", [a, b]), [M23, M34], np.matmul, grad_fn=False),
    L("einsum_implicit", lambda T, a, b: T.einsum("ij,kj", a, b), [M23, arr(4, 3)], lambda a, b: a @ b.T, grad_fn=False),
    L("einsum_bmm", lambda T, a, b: T.einsum("bij,bjk->bik", a, b), [B234, B245], np.matmul, grad_fn=False),
    L("einsum_outer", lambda T, a, b: T.einsum("i,j->ij", a, b), [V3, V4], np.outer, grad_fn=False),
    L("einsum_sum", lambda T, a: T.einsum("ij->", a), [M23], np.sum, grad_fn=False),
    L("einsum_transpose", lambda T, a: T.einsum("ij->ji", a), [M23], lambda a: a.T, grad_fn=False),
    L("einsum_trace", lambda T, a: T.einsum("ii->", a), [SQ], np.trace, grad_fn=False),
    L("einsum_diag", lambda T, a: T.einsum("ii->i", a), [SQ], np.diag, grad_fn=False),
    L("einsum_ellipsis", lambda T, a, b: T.einsum("...ij,...jk->...ik", a, b), [B234, B245], np.matmul, grad_fn=False),
    L("einsum_ellipsis_broadcast", lambda T, a, b: T.einsum("...j,j->...", a, b), [B234, V4],
      lambda a, b: a @ b, grad_fn=False),
    L("einsum_three", lambda T, a, b, c: T.einsum("i,ij,j->", a, b, c), [arr(2), M23, V3],
      lambda a, b, c: a @ b @ c, grad_fn=False),
    L("einsum_spaces", lambda T, a, b: T.einsum("i j , j k -> i k", a, b), [M23, M34], np.matmul, grad_fn=False),
    L("tensordot", lambda T, a, b: T.tensordot(a, b, dims=([1, 2], [0, 1])), [B234, arr(3, 4, 2)],
      lambda a, b: np.tensordot(a, b, ([1, 2], [0, 1]))),
    L("tensordot_int", lambda T, a, b: T.tensordot(a, b, 1), [M23, M34], lambda a, b: np.tensordot(a, b, 1)),
    L("cross", lambda T, a, b: T.cross(a, b, dim=1), [arr(2, 3), arr(2, 3, seed=3)],
      lambda a, b: np.cross(a, b, axis=1)),
    L("linalg_cross", lambda T, a, b: T.linalg.cross(a, b), [arr(2, 3), arr(2, 3, seed=3)],
      lambda a, b: np.cross(a, b)),
    L("kron", lambda T, a, b: T.kron(a, b), [arr(2, 2), M23], np.kron, grad_fn=False),
    L("trace", lambda T, a: T.trace(a), [M34], np.trace),
    L("diag_vec", lambda T, a: T.diag(a), [V3], np.diag),
    L("diag_vec_offset", lambda T, a: T.diag(a, -1), [V3], lambda a: np.diag(a, -1)),
    L("diag_mat", lambda T, a: a.diag(1), [M34], lambda a: np.diag(a, 1), grad_fn=False),
    L("diagonal", lambda T, a: T.diagonal(a, 0, 1, 2), [B234], lambda a: np.diagonal(a, 0, 1, 2)),
    L("diagonal_offset", lambda T, a: a.diagonal(-1), [M34.T.copy()], lambda a: np.diagonal(a, -1)),
    L("diag_embed", lambda T, a: T.diag_embed(a), [M23], lambda a: np.stack([np.diag(r) for r in a])),
    L("block_diag", lambda T, a, b: T.block_diag(a, b), [arr(2, 2), M23],
      lambda a, b: np.block([[a, np.zeros((2, 3))], [np.zeros((2, 2)), b]])),
    L("linalg_inv", lambda T, a: T.linalg.inv(a), [SPD], np.linalg.inv),
    L("inverse", lambda T, a: T.inverse(a), [SPD], np.linalg.inv),
    L("linalg_det", lambda T, a: T.linalg.det(a), [SPD], np.linalg.det, rtol=1e-3),
    L("det_batched", lambda T, a: T.det(a), [np.stack([SPD, SPD * 2])], np.linalg.det, rtol=1e-3),
    L("linalg_solve", lambda T, a, b: T.linalg.solve(a, b), [SPD, arr(3, 2)], np.linalg.solve),
    L("linalg_matrix_norm", lambda T, a: T.linalg.matrix_norm(a), [M34], lambda a: np.linalg.norm(a)),
    L("linalg_norm_vec", lambda T, a: T.linalg.norm(a), [V4], np.linalg.norm),
    L("cdist", lambda T, a, b: T.cdist(a, b), [arr(3, 2), arr(4, 2, seed=2)],
      lambda a, b: np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1)), grad_fn=False),
    L("cdist_p1", lambda T, a, b: T.cdist(a, b, p=1), [arr(3, 2), arr(4, 2, seed=2)],
      lambda a, b: np.abs(a[:, None] - b[None]).sum(-1), grad_fn=False),
]

ERRORS = [
    ErrorSpec("mm_shapes", lambda T, a, b: a @ b, [M23, M23],
              match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"),
    ErrorSpec("matmul_0d", lambda T, a, b: T.matmul(a, b), [np.array(1.0, np.float32), V3],
              match="both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ErrorSpec("dot_sizes", lambda T, a, b: T.dot(a, b), [V3, V4],
              match=r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of elements"),
    ErrorSpec("dot_2d", lambda T, a, b: T.dot(a, b), [M23, M23], match="1D tensors expected, but got 2D and 2D tensors"),
    ErrorSpec("mm_dtype", lambda T, a, b: T.mm(a, b), [M23, M34.astype(np.float64)],
              match="expected m1 and m2 to have the same dtype, but got: float != double"),
    ErrorSpec("bmm_3d", lambda T, a, b: T.bmm(a, b), [M23, M34], match="batch1 must be a 3D tensor"),
    ErrorSpec("mm_1d", lambda T, a, b: T.mm(a, b), [V3, M34], match="self must be a matrix"),
    ErrorSpec("einsum_operands", lambda T, a: T.einsum("ij,jk->ik", a), [M23],
              match="einsum\\(\\): more operands were provided than specified in the equation|fewer operands"),
]

test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)
