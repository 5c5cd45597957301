"""``torch.special``'s Bessel, Airy and orthogonal-polynomial functions, ported from PyTorch's CPU
kernels (``ATen/native/Math.h``): the Cephes rational and Chebyshev approximations for the Bessel
functions, the three-term recurrences (with PyTorch's shortcuts for ``|x| == 1``, ``n < 0`` and
large ``n``) for the polynomials.

Each kernel computes in the input's own dtype, step for step as the C++ code does (float32 stays
float32), so values agree with PyTorch's to the last few bits, special cases (0, negatives, inf,
NaN) included. As in PyTorch these functions have no derivative: their results never require grad.

>>> import lanterna as torch
>>> torch.special.chebyshev_polynomial_t(torch.tensor([0.5, 2.0]), 3)
tensor([-1., 26.])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .kernels import from_host, to_host


def _table(*coefficients):
    return np.array(coefficients, dtype=np.float64)


# ---- coefficient tables (Cephes, as in ATen/native/Math.h) --------------------------------------
AIRY_AN = _table(
    3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01,
    1.68089224934630576269e+02, 1.59756391350164413639e+02, 7.05360906840444183113e+01,
    1.40264691163389668864e+01, 9.99999999999999995305e-01,
)
AIRY_AD = _table(
    5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01,
    1.77318088145400459522e+02, 1.64234692871529701831e+02, 7.14778400825575695274e+01,
    1.40959135607834029598e+01, 1.00000000000000000470e+00,
)
AIRY_AFN = _table(
    -1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
    -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
    -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08,
)
AIRY_AFD = _table(
    1.33560420706553243746e+01, 3.26825032795224613948e+01, 2.67367040941499554804e+01,
    9.18707402907259625840e+00, 1.47529146771666414581e+00, 1.15687173795188044134e-01,
    4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07,
)
AIRY_AGN = _table(
    1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00,
    9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
    5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
    8.11789239554389293311e-08, 3.41551784765923618484e-10,
)
AIRY_AGD = _table(
    9.30892908077441974853e+00, 1.98352928718312140417e+01, 1.55646628932864612953e+01,
    5.47686069422975497931e+00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
    4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
    4.91834570062930015649e-09,
)
# order 0 (J0 and Y0 share the asymptotic expansion's P and Q)
J0_PP = _table(
    7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
    5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
    9.99999999999999997821e-01,
)
J0_PQ = _table(
    9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
    5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
    1.00000000000000000218e+00,
)
J0_QP = _table(
    -1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
    -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
    -5.14105326766599330220e+01, -6.05014350600728481186e+00,
)
J0_QQ = _table(
    6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
    7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
    2.42005740240291393179e+02,
)
J0_RP = _table(
    -4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
    9.70862251047306323952e+15,
)
J0_RQ = _table(
    4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
    1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
    3.18121955943204943306e+16, 1.71086294081043136091e+18,
)
Y0_YP = _table(
    1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
    -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
    4.42733268572569800351e+16, -1.84950800436986690637e+16,
)
Y0_YQ = _table(
    1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08,
    8.64002487103935000337e+10, 2.02979612750105546709e+13, 3.17157752842975028269e+15,
    2.50596256172653059228e+17,
)
# order 1 (J1 and Y1 share P and Q)
J1_PP = _table(
    7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
    5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
    1.00000000000000000254e+00,
)
J1_PQ = _table(
    5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
    5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
    9.99999999999999997461e-01,
)
J1_QP = _table(
    5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
    3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
    2.11688757100572135698e+02, 2.52070205858023719784e+01,
)
J1_QQ = _table(
    7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
    9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
    3.36093607810698293419e+02,
)
J1_RP = _table(
    -8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
    3.68295732863852883286e+15,
)
J1_RQ = _table(
    6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
    2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
    8.95222336184627338078e+16, 5.32278620332680085395e+18,
)
Y1_YP = _table(
    1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
    -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17,
)
Y1_YQ = _table(
    5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07,
    1.87601316108706159478e+10, 3.88231277496238566008e+12, 6.20557727146953693363e+14,
    6.87141087355300489866e+16, 3.97270608116560655612e+18,
)
# modified Bessel functions: Chebyshev series on [0, 8] (A) and [8, inf) (B), or [0, 2] and [2, inf)
I0_A = _table(
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-09,
    -1.30002500998624804212e-08, 6.04699502254191894932e-08, -2.67079385394061173391e-07,
    1.11738753912010371815e-06, -4.41673835845875056359e-06, 1.64484480707288970893e-05,
    -5.75419501008210370398e-05, 1.88502885095841655729e-04, -5.76375574538582365885e-04,
    1.63947561694133579842e-03, -4.32430999505057594430e-03, 1.05464603945949983183e-02,
    -2.37374148058994688156e-02, 4.93052842396707084878e-02, -9.49010970480476444210e-02,
    1.71620901522208775349e-01, -3.04682672343198398683e-01, 6.76795274409476084995e-01,
)
I0_B = _table(
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
    -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
    3.39623202570838634515e-09, 2.26666899049817806459e-08, 2.04891858946906374183e-07,
    2.89137052083475648297e-06, 6.88975834691682398426e-05, 3.36911647825569408990e-03,
    8.04490411014108831608e-01,
)
I1_A = _table(
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
    -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
    3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
    -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-09,
    9.38153738649577178388e-09, -4.44505912879632808065e-08, 2.00329475355213526229e-07,
    -8.56872026469545474066e-07, 3.47025130813767847674e-06, -1.32731636560394358279e-05,
    4.78156510755005422638e-05, -1.61760815825896745588e-04, 5.12285956168575772895e-04,
    -1.51357245063125314899e-03, 4.15642294431288815669e-03, -1.05640848946261981558e-02,
    2.47264490306265168283e-02, -5.29459812080949914269e-02, 1.02643658689847095384e-01,
    -1.76416518357834055153e-01, 2.52587186443633654823e-01,
)
I1_B = _table(
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
    -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
    -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
    4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
    3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
    -3.83538038596423702205e-09, -2.63146884688951950684e-08, -2.51223623787020892529e-07,
    -3.88256480887769039346e-06, -1.10588938762623716291e-04, -9.76109749136146840777e-03,
    7.78576235018280120474e-01,
)
K0_A = _table(
    1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
    1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
    1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
    -5.35327393233902768720e-01,
)
K0_B = _table(
    5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
    -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
    6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
    -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
    1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
    -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
    2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
    -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
    2.44030308206595545468e+00,
)
K1_A = _table(
    -7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
    -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
    -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
    -3.53155960776544875667e-01, 1.52530022733894777053e+00,
)
K1_B = _table(
    -5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
    1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
    -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
    3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
    -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
    2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
    -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
    1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
    2.72062619048444266945e+00,
)

_PI_4 = 0.785398163397448309615660845819875721
_3PI_4 = 2.356194490192344928846982537459627163
_SQRT_2_PI = 0.797884560802865355879892119868763737  # sqrt(2 / pi)
_2_PI = 0.636619772367581343075535053490057448  # 2 / pi


# ---- the C library's functions -------------------------------------------------------------------
# PyTorch calls the C library's acos/exp/log (acosf ... for float32, nearly always correctly
# rounded). NumPy's vectorised versions differ from those by an ulp now and then, which the
# polynomials' cos(n acos(x)) magnifies n times: these go through Python's math module (the C
# library) in float64, rounded to the input's dtype. NumPy's float64 sin and cos already agree.
def _libm(np_fn, math_fn, domain):
    scalar = np.frompyfunc(math_fn, 1, 1)

    def fn(x):
        wide = x.astype(np.float64)
        r = np_fn(wide)
        inside = domain(wide)
        if inside.any():
            r[inside] = scalar(wide[inside]).astype(np.float64)
        return r.astype(x.dtype, copy=False)

    return fn


_acos = _libm(np.arccos, math.acos, lambda v: np.abs(v) <= 1.0)
_exp = _libm(np.exp, math.exp, lambda v: np.abs(v) < 700.0)
_log = _libm(np.log, math.log, lambda v: (v > 0.0) & (v < np.inf))


def _sin(x):
    return np.sin(x.astype(np.float64)).astype(x.dtype, copy=False)


def _cos(x):
    return np.cos(x.astype(np.float64)).astype(x.dtype, copy=False)


# ---- evaluation helpers: the C++ loops, on arrays of one dtype ---------------------------------
# Python floats combine with float32 arrays as float32 (NumPy's weak scalars), exactly as the
# C++ code's T(literal) constants do; coefficient tables are cast to the array's dtype first.
def _horner(z, table):
    """``acc = acc * z + c`` over the table, from ``acc = 0`` (the C++ loops' form)."""
    acc = np.zeros_like(z)
    for c in table.astype(z.dtype):
        acc = acc * z + c
    return acc


def _chebyshev_series(y, table):
    """Cephes' ``chbevl`` as Math.h inlines it: ``0.5 * (b0 - b2)`` of the Clenshaw recurrence."""
    coeffs = table.astype(y.dtype)
    p = np.zeros_like(y)
    q = np.zeros_like(y)
    a = np.full_like(y, coeffs[0])
    for c in coeffs[1:]:
        p = q
        q = a
        a = y * q - p + c
    return 0.5 * (a - p)


def _piecewise(x, *branches):
    """``out[m] = fn(x[m])`` for each ``(mask, fn)`` in order; later masks skip elements an
    earlier branch already took (the C++ early returns)."""
    out = np.full_like(x, np.nan)
    todo = np.ones(x.shape, dtype=bool)
    for mask, fn in branches:
        m = todo & mask
        if m.any():
            out[m] = fn(x[m]) if callable(fn) else fn
        todo &= ~m
    return out


# ---- Airy and Bessel functions -----------------------------------------------------------------
def _airy_ai_negative(x):
    zeta = -2.0 * x * np.sqrt(-x) / 3.0
    z = 1.0 / zeta
    zz = z * z
    afn, afd = _horner(zz, AIRY_AFN), _horner(zz, AIRY_AFD)
    agn, agd = _horner(zz, AIRY_AGN), _horner(zz, AIRY_AGD)
    t = zeta + 0.25 * math.pi
    return 5.64189583547756286948e-01 / np.sqrt(np.sqrt(-x)) * (
        _sin(t) * (1.0 + zz * afn / afd) - _cos(t) * (z * agn / agd))


def _airy_ai_positive(x):
    zeta = 2.0 * x * np.sqrt(x) / 3.0
    w = 1.0 / zeta
    an, ad = _horner(w, AIRY_AN), _horner(w, AIRY_AD)
    return 5.64189583547756286948e-01 * (an / ad) / (2.0 * np.sqrt(np.sqrt(x)) * _exp(zeta))


def _airy_ai_series(x):
    """The Maclaurin series ``c1 f(x) - c2 g(x)``, each element summed until its last term is
    below machine epsilon (as the scalar C++ loop does)."""
    dt = x.dtype.type
    f, g = np.ones_like(x), x.copy()
    m, n = np.ones_like(x), x.copy()
    t = np.ones_like(x)
    z = x * x * x
    k = dt(1.0)
    eps = np.finfo(x.dtype).eps
    active = t > eps
    while active.any():
        k2, k3, k4 = k + dt(1.0), k + dt(2.0), k + dt(3.0)
        mm = m * z / k2
        nn = n * z / k3
        mm = mm / k3
        ff = f + mm
        nn = nn / k4
        gg = g + nn
        m, n, f, g = (np.where(active, new, old) for new, old in ((mm, m), (nn, n), (ff, f), (gg, g)))
        t = np.where(active, np.abs(m / f), t)
        k = k4
        active = t > eps
    return 0.355028053887817239260 * f - 0.258819403792806798405 * g


def airy_ai_np(x):
    return _piecewise(
        x,
        (np.isinf(x), np.nan),
        (x > 103.892, 0.0),
        (x < -2.09, _airy_ai_negative),
        (x >= 2.09, _airy_ai_positive),
        (np.ones(x.shape, dtype=bool), _airy_ai_series),
    )


def _bessel_asymptotic(x, w, pp, pq, qp, qq, shift, kind):
    """Hankel's expansion for ``x > 5``: ``sqrt(2/(pi x)) (P cos(x - shift) - 5/x Q sin(...))``
    for J (``kind == 'j'``), with sin and cos exchanged (and a plus) for Y."""
    p = _horner(w, pp) / _horner(w, pq)
    q = 5.0 / x * (_horner(w, qp) / _horner(w, qq))
    if kind == "j":
        s = p * _cos(x - shift) - q * _sin(x - shift)
    else:
        s = p * _sin(x - shift) + q * _cos(x - shift)
    return s * _SQRT_2_PI / np.sqrt(x)


def _j0_small(x):
    xx = x * x
    r = (xx - 5.78318596294678452118e+00) * (xx - 3.04712623436620863991e+01) * _horner(xx, J0_RP) / _horner(xx, J0_RQ)
    return np.where(x < 0.00001, 1.0 - xx / 4.0, r)


def _j0_large(x):
    return _bessel_asymptotic(x, 25.0 / (x * x), J0_PP, J0_PQ, J0_QP, J0_QQ, _PI_4, "j")


def bessel_j0_np(x):
    x = np.abs(x)
    return _piecewise(x, (x <= 5.0, _j0_small), (np.ones(x.shape, dtype=bool), _j0_large))


def _j1_positive(x):
    def small(v):
        vv = v * v
        return (_horner(vv, J1_RP) / _horner(vv, J1_RQ) * v * (vv - 1.46819706421238932572e+01)
                * (vv - 4.92184563216946036703e+01))

    def large(v):
        w = 5.0 / v * (5.0 / v)
        return _bessel_asymptotic(v, w, J1_PP, J1_PQ, J1_QP, J1_QQ, _3PI_4, "j")

    return _piecewise(x, (x <= 5.0, small), (np.ones(x.shape, dtype=bool), large))


def bessel_j1_np(x):
    neg = x < 0.0
    r = _j1_positive(np.where(neg, -x, x))
    return np.where(neg, -r, r)


def bessel_y0_np(x):
    def small(v):
        vv = v * v
        return _horner(vv, Y0_YP) / _horner(vv, Y0_YQ) + (_2_PI * _log(v) * bessel_j0_np(v))

    def large(v):
        return _bessel_asymptotic(v, 25.0 / (v * v), J0_PP, J0_PQ, J0_QP, J0_QQ, _PI_4, "y")

    return _piecewise(x, (x == 0.0, -np.inf), (x < 0.0, np.nan), (x <= 5.0, small),
                      (np.ones(x.shape, dtype=bool), large))


def bessel_y1_np(x):
    def small(v):
        vv = v * v
        return v * (_horner(vv, Y1_YP) / _horner(vv, Y1_YQ)) + (_2_PI * (bessel_j1_np(v) * _log(v) - 1.0 / v))

    def large(v):
        w = 5.0 / v * (5.0 / v)
        return _bessel_asymptotic(v, w, J1_PP, J1_PQ, J1_QP, J1_QQ, _3PI_4, "y")

    return _piecewise(x, (x == 0.0, -np.inf), (x < 0.0, np.nan), (x <= 5.0, small),
                      (np.ones(x.shape, dtype=bool), large))


def modified_bessel_i0_np(x):
    ax = np.abs(x)
    return _piecewise(
        ax,
        (ax <= 8.0, lambda v: _exp(v) * _chebyshev_series(v / 2.0 - 2.0, I0_A)),
        (np.ones(x.shape, dtype=bool), lambda v: _exp(v) * _chebyshev_series(32.0 / v - 2.0, I0_B) / np.sqrt(v)),
    )


def modified_bessel_i1_np(x):
    ax = np.abs(x)
    r = _piecewise(
        ax,
        (ax <= 8.0, lambda v: _chebyshev_series(v / 2.0 - 2.0, I1_A) * v * _exp(v)),
        (np.ones(x.shape, dtype=bool), lambda v: _exp(v) * _chebyshev_series(32.0 / v - 2.0, I1_B) / np.sqrt(v)),
    )
    return np.where(x < 0.0, -r, r)


def _k0_small(x):
    # Math.h writes std::log(0.5 * x) with a double 0.5: that product, and the rest of the
    # expression, is double even for float inputs; only the result is rounded back.
    series = _chebyshev_series(x * x - 2.0, K0_A).astype(np.float64)
    x64 = x.astype(np.float64)
    return (series - _log(0.5 * x64) * modified_bessel_i0_np(x).astype(np.float64)).astype(x.dtype)


def _k1_small(x):
    return _log(0.5 * x) * modified_bessel_i1_np(x) + _chebyshev_series(x * x - 2.0, K1_A) / x


def _modified_bessel_k(x, small, large_table, scaled):
    def large(v):
        series = _chebyshev_series(8.0 / v - 2.0, large_table)
        return series / np.sqrt(v) if scaled else _exp(-v) * series / np.sqrt(v)

    def small_part(v):
        return small(v) * _exp(v) if scaled else small(v)

    return _piecewise(x, (x == 0.0, np.inf), (x < 0.0, np.nan), (x <= 2.0, small_part),
                      (np.ones(x.shape, dtype=bool), large))


def modified_bessel_k0_np(x):
    return _modified_bessel_k(x, _k0_small, K0_B, scaled=False)


def modified_bessel_k1_np(x):
    return _modified_bessel_k(x, _k1_small, K1_B, scaled=False)


def _scaled_k0_small(x):
    return _chebyshev_series(x * x - 2.0, K0_A) - _log(0.5 * x) * modified_bessel_i0_np(x)


def scaled_modified_bessel_k0_np(x):
    return _modified_bessel_k(x, _scaled_k0_small, K0_B, scaled=True)


def scaled_modified_bessel_k1_np(x):
    return _modified_bessel_k(x, _k1_small, K1_B, scaled=True)


def spherical_bessel_j0_np(x):
    def small(v):
        xx = v * v
        dt = v.dtype.type
        c = [dt(s) / dt(d) for s, d in ((-1.0, 6.0), (1.0, 120.0), (-1.0, 5040.0), (1.0, 362880.0),
                                        (-1.0, 39916800.0), (1.0, 6227020800.0))]
        acc = xx * c[5]
        for ck in reversed(c[:5]):
            acc = xx * (ck + acc)
        return 1.0 + acc

    return _piecewise(x, (np.isinf(x), 0.0), (np.abs(x) < 0.5, small),
                      (np.ones(x.shape, dtype=bool), lambda v: _sin(v) / v))


# ---- orthogonal polynomials --------------------------------------------------------------------
def _degree(n):
    """``static_cast<int64_t>(n)`` of each degree; NaN, infinities and out-of-range values
    become -1 (x86 gives INT64_MIN: negative all the same, so the polynomial is 0)."""
    if n.dtype.kind in "iub":
        return n.astype(np.int64)
    ok = np.isfinite(n) & (np.abs(n) < 2.0 ** 63)
    return np.where(ok, n, -1).astype(np.int64)


def _recurrence(n, p, q, step):
    """``r = step(k, p, q); p, q = q, r`` for ``k = 1 .. n - 1`` of each element (``n >= 2``),
    stopping early where ``q`` is NaN (it stays NaN). Returns the last ``r``."""
    k = 1
    active = (k < n) & ~np.isnan(q)
    while active.any():
        r = step(k, p, q)
        p = np.where(active, q, p)
        q = np.where(active, r, q)
        k += 1
        active = (k < n) & ~np.isnan(q)
    return q


class _Cases:
    """The C++ function's early returns, in order, over all elements at once: ``take(mask,
    value)`` sets the elements of ``mask`` not taken by an earlier case."""

    def __init__(self, x):
        self.out = np.full_like(x, np.nan)
        self.todo = np.ones(x.shape, dtype=bool)

    def take(self, mask, value):
        m = self.todo & mask
        if m.any():
            self.out[m] = np.broadcast_to(value, self.out.shape)[m]
        self.todo &= ~m

    def recur(self, x, y, n, q0, step):
        """The remaining elements (degree ``n >= 2``) by :func:`_recurrence` from ``p = 1, q = q0``;
        ``step(k, p, q, x, y)`` sees the remaining elements' ``x`` and ``y`` only."""
        m = self.todo
        if m.any():
            xs, ys = x[m], y[m]
            self.out[m] = _recurrence(n[m], np.ones_like(xs), q0[m], lambda k, p, q: step(k, p, q, xs, ys))
        return self.out


def _as(n, x):
    return n.astype(x.dtype)


def _odd_sign(n, value):
    return np.where(n % 2 == 0, value, -value)


def _chebyshev_t(x, n, y=None):
    """T_n(x); with ``y`` given, the shifted polynomial T*_n(x) = T_n(y), y = 2x - 1."""
    shifted = y is not None
    y = x if y is None else y
    c = _Cases(x)
    c.take(n < 0, 0.0)
    if shifted:
        c.take(x == 1.0, 1.0)
        c.take(x == 0.0, _odd_sign(n, 1.0).astype(x.dtype))
    else:
        c.take(np.abs(x) == 1.0, np.where((x > 0.0) | (n % 2 == 0), 1.0, -1.0).astype(x.dtype))
    c.take((n > 6) & (np.abs(y) < 1.0), _cos(_as(n, x) * _acos(y)))
    c.take(n == 0, 1.0)
    c.take(n == 1, y)
    return c.recur(x, y, n, y, _chebyshev_step)


def _chebyshev_u(x, n, y=None):
    shifted = y is not None
    y = x if y is None else y
    n1 = _as(n + 1, x)
    c = _Cases(x)
    c.take(n < 0, 0.0)
    if shifted:
        c.take(x == 1.0, n1)
        c.take(x == 0.0, _odd_sign(n, n1))
    else:
        c.take(np.abs(x) == 1.0, np.where((x > 0.0) | (n % 2 == 0), n1, -n1))
    theta = _acos(y)
    s = _sin(theta)
    c.take((n > (6 if shifted else 8)) & (np.abs(y) < 1.0),
           np.where(s != 0.0, _sin(n1 * theta) / s, n1 * _cos(n1 * theta) / y))
    c.take(n == 0, 1.0)
    c.take(n == 1, y + y)
    return c.recur(x, y, n, y + y, _chebyshev_step)


def _chebyshev_v(x, n, y=None):
    shifted = y is not None
    y = x if y is None else y
    odd = _odd_sign(n, _as(n + n + 1, x))
    c = _Cases(x)
    c.take(n < 0, 0.0)
    if shifted:
        c.take(x == 1.0, 1.0)
        c.take(x == 0.0, odd)
    else:
        c.take(np.abs(x) == 1.0, np.where(x > 0.0, np.ones_like(x), odd))
    theta = _acos(y)
    c.take((n > (6 if shifted else 8)) & (np.abs(y) < 1.0),
           np.where(_sin(theta / 2.0) != 1.0, _cos((_as(n, x) + 0.5) * theta) / _cos(theta / 2.0), odd))
    c.take(n == 0, 1.0)
    c.take(n == 1, y + y - 1.0)
    return c.recur(x, y, n, y + y - 1.0, _chebyshev_step)


def _chebyshev_w(x, n, y=None):
    shifted = y is not None
    y = x if y is None else y
    top = _as(n + n + 1, x)
    bottom = _odd_sign(n, 1.0).astype(x.dtype)
    c = _Cases(x)
    c.take(n < 0, 0.0)
    if shifted:
        c.take(x == 1.0, top)
        c.take(x == 0.0, bottom)
    else:
        c.take(np.abs(x) == 1.0, np.where(x > 0.0, top, bottom))
    theta = _acos(y)
    at_one = bottom if shifted else np.where(x > 0.0, top, bottom)
    c.take((n > (4 if shifted else 8)) & (np.abs(y) < 1.0),
           np.where(_cos(theta / 2.0) != 1.0, _sin((_as(n, x) + 0.5) * theta) / _sin(theta / 2.0), at_one))
    c.take(n == 0, 1.0)
    c.take(n == 1, y + y + 1.0)
    return c.recur(x, y, n, y + y + 1.0, _chebyshev_step)


def _fma(a, b, c):
    """``a * b + c`` rounded once, as the FMA instruction PyTorch's compiled kernels contract the
    recurrences into: that decides overflow near the largest float and the rounding of long
    recurrences. Exact for float32 through float64; float64 goes through the wider long double."""
    wide = np.float64 if a.dtype == np.float32 else np.longdouble
    return (a.astype(wide) * b.astype(wide) + np.asarray(c).astype(wide)).astype(a.dtype)


def _chebyshev_step(k, p, q, x, y):
    # Math.h's shifted kernels write 2y as (x + x - 1 + (x + x - 1)): the same as y + y
    return _fma(y + y, q, -p)


def _shift(fn):
    def shifted(x, n):
        return fn(x, n, x + x - 1.0)

    return shifted


def _hermite_limit(x):
    return 128 if x.dtype == np.float32 else 512


def _hermite_h(x, n):
    c = _Cases(x)
    c.take(n < 0, 0.0)
    c.take(n == 0, 1.0)
    c.take(n == 1, x + x)
    c.take(n > _hermite_limit(x), np.nan)
    return c.recur(x, x, n, x + x, lambda k, p, q, x, y: _fma(x + x, q, -((2 * k) * p)))


def _hermite_he(x, n):
    c = _Cases(x)
    c.take(n < 0, 0.0)
    c.take(n == 0, 1.0)
    c.take(n == 1, x)
    c.take(n > _hermite_limit(x), np.nan)
    return c.recur(x, x, n, x, lambda k, p, q, x, y: _fma(x, q, -(k * p)))


def _laguerre_l(x, n):
    c = _Cases(x)
    c.take(n < 0, 0.0)
    c.take(np.abs(x) == 0.0, 1.0)
    c.take(n == 0, 1.0)
    c.take(n == 1, 1.0 - x)
    return c.recur(x, x, n, 1.0 - x, lambda k, p, q, x, y: _fma((k + k) + (1.0 - x), q, -(k * p)) / (k + 1))


def _legendre_p(x, n):
    c = _Cases(x)
    c.take(n < 0, 0.0)
    c.take(np.abs(x) == 1.0, np.where((x > 0.0) | (n % 2 == 0), 1.0, -1.0).astype(x.dtype))
    c.take(n == 0, 1.0)
    c.take(n == 1, x)
    return c.recur(x, x, n, x, lambda k, p, q, x, y: _fma((k + k + 1) * x, q, -(k * p)) / (k + 1))


# ---- the torch.special functions ---------------------------------------------------------------
def _check_dtype(name, dtype):
    if dtype not in (D.float32, D.float64):
        kind = {"float16": "Half", "bfloat16": "BFloat16"}.get(dtype.name, dtype.name)
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{kind}'")


def _result(values, like, out):
    """``values`` (host) as a tensor on ``like``'s device: no graph, as PyTorch records none."""
    data = values if isinstance(like._data, np.ndarray) else from_host(np.ascontiguousarray(values), like._data)
    result = Tensor._make(data, like._backend, like._device)
    if out is None:
        return result
    from .elementwise import _write_out

    return _write_out(result, out)


def _unary(name, argname, input, out, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"special_{name}(): argument '{argname}' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    dtype = input.dtype if input.dtype.is_floating_point else D.get_default_dtype()
    _check_dtype(name, dtype)
    h = np.asarray(to_host(input._data)).astype(dtype.np, copy=False)
    with np.errstate(all="ignore"):
        r = fn(h.reshape(-1)).reshape(h.shape)
    return _result(r, input, out)


def _is_number(v):
    return isinstance(v, (bool, int, float))


def _polynomial(name, x, n, out, fn):
    if not ((isinstance(x, Tensor) and (isinstance(n, Tensor) or _is_number(n)))
            or (_is_number(x) and isinstance(n, Tensor))):
        got = ", ".join(type(v).__name__ for v in (x, n))
        raise TypeError(
            f"special_{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
            " * (Tensor x, Tensor n, *, Tensor out = None)\n"
            " * (Number x, Tensor n, *, Tensor out = None)\n"
            " * (Tensor x, Number n, *, Tensor out = None)\n")
    dtype = D.result_type(x, n)
    if not dtype.is_floating_point:
        dtype = D.get_default_dtype()
    _check_dtype(name, dtype)
    like = x if isinstance(x, Tensor) else n
    if isinstance(x, Tensor) and isinstance(n, Tensor) and x._device != n._device and n.dim() and x.dim():
        from .pointwise import check_same_device

        check_same_device(x, n)
    hx, hn = (np.asarray(to_host(v._data) if isinstance(v, Tensor) else v).astype(dtype.np) for v in (x, n))
    try:
        hx, hn = np.broadcast_arrays(hx, hn)
    except ValueError:
        from .elementwise import broadcast_error

        raise broadcast_error(hx.shape, hn.shape) from None
    shape = hx.shape
    with np.errstate(all="ignore"):
        r = fn(hx.reshape(-1).copy(), _degree(hn.reshape(-1))).reshape(shape)
    return _result(r, like, out)


def airy_ai(x, *, out=None):
    """The Airy function Ai(x)."""
    return _unary("airy_ai", "x", x, out, airy_ai_np)


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind of order 0."""
    return _unary("bessel_j0", "input", input, out, bessel_j0_np)


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind of order 1."""
    return _unary("bessel_j1", "input", input, out, bessel_j1_np)


def bessel_y0(input, *, out=None):
    """The Bessel function of the second kind of order 0 (NaN below 0, -inf at 0)."""
    return _unary("bessel_y0", "input", input, out, bessel_y0_np)


def bessel_y1(input, *, out=None):
    """The Bessel function of the second kind of order 1 (NaN below 0, -inf at 0)."""
    return _unary("bessel_y1", "input", input, out, bessel_y1_np)


def modified_bessel_i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0."""
    return _unary("modified_bessel_i0", "input", input, out, modified_bessel_i0_np)


def modified_bessel_i1(input, *, out=None):
    """The modified Bessel function of the first kind of order 1."""
    return _unary("modified_bessel_i1", "input", input, out, modified_bessel_i1_np)


def modified_bessel_k0(input, *, out=None):
    """The modified Bessel function of the second kind of order 0."""
    return _unary("modified_bessel_k0", "input", input, out, modified_bessel_k0_np)


def modified_bessel_k1(input, *, out=None):
    """The modified Bessel function of the second kind of order 1."""
    return _unary("modified_bessel_k1", "input", input, out, modified_bessel_k1_np)


def scaled_modified_bessel_k0(x, *, out=None):
    """``exp(x) * modified_bessel_k0(x)``."""
    return _unary("scaled_modified_bessel_k0", "x", x, out, scaled_modified_bessel_k0_np)


def scaled_modified_bessel_k1(x, *, out=None):
    """``exp(x) * modified_bessel_k1(x)``."""
    return _unary("scaled_modified_bessel_k1", "x", x, out, scaled_modified_bessel_k1_np)


def spherical_bessel_j0(x, *, out=None):
    """The spherical Bessel function of the first kind of order 0, ``sin(x) / x``."""
    return _unary("spherical_bessel_j0", "x", x, out, spherical_bessel_j0_np)


def chebyshev_polynomial_t(x, n, *, out=None):
    """The Chebyshev polynomial of the first kind T_n(x) (0 for n < 0)."""
    return _polynomial("chebyshev_polynomial_t", x, n, out, _chebyshev_t)


def chebyshev_polynomial_u(x, n, *, out=None):
    """The Chebyshev polynomial of the second kind U_n(x)."""
    return _polynomial("chebyshev_polynomial_u", x, n, out, _chebyshev_u)


def chebyshev_polynomial_v(x, n, *, out=None):
    """The Chebyshev polynomial of the third kind V_n(x)."""
    return _polynomial("chebyshev_polynomial_v", x, n, out, _chebyshev_v)


def chebyshev_polynomial_w(x, n, *, out=None):
    """The Chebyshev polynomial of the fourth kind W_n(x)."""
    return _polynomial("chebyshev_polynomial_w", x, n, out, _chebyshev_w)


def shifted_chebyshev_polynomial_t(x, n, *, out=None):
    """T*_n(x) = T_n(2x - 1)."""
    return _polynomial("shifted_chebyshev_polynomial_t", x, n, out, _shift(_chebyshev_t))


def shifted_chebyshev_polynomial_u(x, n, *, out=None):
    """U*_n(x) = U_n(2x - 1)."""
    return _polynomial("shifted_chebyshev_polynomial_u", x, n, out, _shift(_chebyshev_u))


def shifted_chebyshev_polynomial_v(x, n, *, out=None):
    """V*_n(x) = V_n(2x - 1)."""
    return _polynomial("shifted_chebyshev_polynomial_v", x, n, out, _shift(_chebyshev_v))


def shifted_chebyshev_polynomial_w(x, n, *, out=None):
    """W*_n(x) = W_n(2x - 1)."""
    return _polynomial("shifted_chebyshev_polynomial_w", x, n, out, _shift(_chebyshev_w))


def hermite_polynomial_h(x, n, *, out=None):
    """The physicists' Hermite polynomial H_n(x) (NaN above degree 128 in float32, 512 in float64)."""
    return _polynomial("hermite_polynomial_h", x, n, out, _hermite_h)


def hermite_polynomial_he(x, n, *, out=None):
    """The probabilists' Hermite polynomial He_n(x)."""
    return _polynomial("hermite_polynomial_he", x, n, out, _hermite_he)


def laguerre_polynomial_l(x, n, *, out=None):
    """The Laguerre polynomial L_n(x)."""
    return _polynomial("laguerre_polynomial_l", x, n, out, _laguerre_l)


def legendre_polynomial_p(x, n, *, out=None):
    """The Legendre polynomial P_n(x)."""
    return _polynomial("legendre_polynomial_p", x, n, out, _legendre_p)
