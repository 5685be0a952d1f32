// Event-driven forward and adjoint (backward) loops of the LSNN map, for float and double.
//
// The same recursion as lsnn/training/bptt.py (see its docstring for the equations); this file is
// compiled at first use by lsnn.training.kernel (g++ -O3 [-fopenmp]) and called through ctypes on
// contiguous CPU tensors. The extern "C" definitions at the end are the ABI: lsnn.training.kernel reads
// argument names, types and order from them (write each argument as `type name`).
// Trials (batch rows) are independent, so each thread runs whole trials: the state of one trial (a few
// hundred numbers) stays in cache for all T steps.
//
// Forward, per trial and step t (time-major arrays [t][b][j]):
//   A = max(b0 + beta a, A_min);  z = [V > A] and [since >= n_ref];  since = z ? 1 : since + 1
//   V(t+1) = alpha V + (1 - alpha) I_in(t) - A z + sum_d sum_{i: z_i(t-d) = 1} Ws_d[i][j]     (event-driven)
//   a(t+1) = rho a + (1 - rho) z
// with Ws_d[i][j] = (1 - alpha_j) W_d[j][i] (transposed, scaled).
// Backward, per trial, t = T-1 .. 0 (Vbar, abar: adjoints of V(t+1), a(t+1)):
//   Ibar(t) = (1 - alpha) Vbar
//   zbar    = gZ - A Vbar + (1 - rho) abar + sum_d sum_k Ibar_k(t + d) W_d[k][j]
//   psi     = ok * gamma * max(0, 1 - |(V - A)/A|)
//   Abar    = gA - z Vbar - zbar psi V / A^2;  abar = rho abar + beta [not floored] Abar
//   Vbar    = alpha Vbar + zbar psi / A + gV
// and, event-driven over the spikes, gW_d[j][i] += Ibar_j(t + d) for every z_i(t) = 1 (stored as gWT[i][j]).
// With short-term plasticity (stp_U not null; eLife eqs. 6-10, lsnn/training/stp.py) a spike delivers
// s_i = z_i (U_i + u_i)(1 - r_i) instead of z_i (stp_step), the rows above are scaled by s_i, and the backward
// pass carries the adjoints of u and r as well (see backward()).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

// One step of every neuron of one trial (branch-free so that it vectorises).
template <typename F>
inline void neuron_step(int64_t n, const F* __restrict__ b0, const F* __restrict__ beta, const F* __restrict__ A_min,
                        const F* __restrict__ n_ref, const F* __restrict__ alpha, const F* __restrict__ rho,
                        const F* __restrict__ Iin, const F* __restrict__ V, F* __restrict__ Vn, F* __restrict__ a,
                        F* __restrict__ since, F* __restrict__ okf, F* __restrict__ clf, F* __restrict__ Zo,
                        F* __restrict__ Vo, F* __restrict__ Ao) {
    for (int64_t j = 0; j < n; ++j) {
        const F A_raw = b0[j] + beta[j] * a[j];  // = b0 for LIF (beta = 0)
        const F cl = A_raw >= A_min[j] ? F(1) : F(0);
        const F A = A_raw >= A_min[j] ? A_raw : A_min[j];
        const F ok = since[j] >= n_ref[j] ? F(1) : F(0);
        const F z = V[j] > A ? ok : F(0);
        since[j] = z > F(0) ? F(1) : since[j] + F(1);  // saturates harmlessly (2^24 in float)
        okf[j] = ok;
        clf[j] = cl;
        Zo[j] = z;
        Vo[j] = V[j];
        Ao[j] = A;
        Vn[j] = alpha[j] * V[j] + Iin[j] * (F(1) - alpha[j]) - A * z;
        a[j] = rho[j] * a[j] + (F(1) - rho[j]) * z;
    }
}

// Recurrent input of one trial, event-driven: Vn += sum_d sum_{i: s_i(t - d) != 0} s_i(t - d) Ws_d[i][:], where s is
// what a spike delivers: z itself (1: the product is exact) or, with STP, z times the efficacy at emission.
// sent(t') is this trial's row of s at an earlier step t' (in a (T, B, n) array, or in a ring buffer of steps).
template <typename F, typename Sent>
inline void add_recurrent_spikes(int64_t t, int64_t n, int64_t nd, const int64_t* delays, const Sent& sent,
                                 const F* WsT, F* __restrict__ Vn) {
    for (int64_t k = 0; k < nd; ++k) {
        const int64_t d = delays[k];
        if (t - d < 0) continue;
        const F* ss = sent(t - d);
        const F* W = WsT + k * n * n;
        for (int64_t i = 0; i < n; ++i) {
            const F s = ss[i];
            if (s == F(0)) continue;
            const F* __restrict__ row = W + i * n;
            for (int64_t j = 0; j < n; ++j) Vn[j] += s * row[j];
        }
    }
}

// f(i, xs[i]) for the nonzero xs[i], i increasing. Blocks of 16 inputs that are all zero (most of them for spike
// inputs) are passed over after one vectorised test instead of a branch per input.
template <typename F, typename Fn>
inline void for_each_nonzero(const F* __restrict__ xs, int64_t n_in, const Fn& f) {
    for (int64_t lo = 0; lo < n_in; lo += 16) {
        const int64_t hi = std::min(n_in, lo + 16);
        unsigned any = 0;
        for (int64_t i = lo; i < hi; ++i) any |= xs[i] != F(0);
        if (!any) continue;
        for (int64_t i = lo; i < hi; ++i)
            if (xs[i] != F(0)) f(i, xs[i]);
    }
}

// Pseudo-derivative of eq. (3) without gamma and refractory gate: max(1 - |(V - A) / A|, 0). Written as a
// comparison: compilers without -ffast-math call fmax out of line (a library call per neuron and step);
// the value is the same, NaN included (both give 0).
template <typename F>
inline F pseudo_derivative(F V, F A) {
    const F h = F(1) - std::fabs((V - A) / A);
    return h > F(0) ? h : F(0);
}

// Presynaptic short-term plasticity of one trial at step t (eLife Methods eqs. 6-10, lsnn/training/stp.py):
//   s = z (U + u)(1 - r);  u <- Fd u + U (1 - U - u) z;  r <- Dd r + (U + u_new)(1 - r) z
// with Fd = exp(-dt/F), Dd = exp(-dt/D); u(t), r(t) before the update are recorded for the backward pass.
template <typename F>
inline void stp_step(int64_t n, const F* __restrict__ U, const F* __restrict__ Fd, const F* __restrict__ Dd,
                     const F* __restrict__ z, F* __restrict__ u, F* __restrict__ r, F* __restrict__ So,
                     F* __restrict__ Uo, F* __restrict__ Ro) {
    for (int64_t j = 0; j < n; ++j) {
        const F uj = u[j], rj = r[j], zj = z[j];
        const F omr = F(1) - rj;
        const F u_new = Fd[j] * uj + U[j] * (F(1) - U[j] - uj) * zj;
        Uo[j] = uj;
        Ro[j] = rj;
        So[j] = zj * (U[j] + uj) * omr;
        u[j] = u_new;
        r[j] = Dd[j] * rj + (U[j] + u_new) * omr * zj;
    }
}

template <typename F>
void forward(int64_t T, int64_t B, int64_t n, int64_t nd, const int64_t* delays, const F* I_in, const F* WsT,
             const F* alpha, const F* rho, const F* beta, const F* b0, const F* A_min, const F* n_ref,
             int adaptive, const F* stp_U, const F* stp_Fd, const F* stp_Dd, F* Z, F* V_out, F* A_out, uint8_t* OK,
             uint8_t* CLAMP, F* S, F* U_out, F* R_out, int n_threads) {
    // Branch-free inner loops over neurons (so that they vectorise); z in {0, 1} makes A*z and
    // (1 - rho)*z exact, so the results equal the branching form bit for bit.
    // stp_U null: no STP (S, U_out, R_out unused); else S, U_out, R_out receive s, u, r of every step.
    const int64_t stride = B * n;
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (int64_t b = 0; b < B; ++b) {
        std::vector<F> V_(n, 0), Vn_(n), a_(n, 0), since_(n, F(1 << 20)), u_(stp_U ? n : 0, 0), r_(stp_U ? n : 0, 0);
        F* __restrict__ V = V_.data();
        F* __restrict__ Vn = Vn_.data();
        F* __restrict__ a = a_.data();
        F* __restrict__ since = since_.data();
        std::vector<F> okf_(n), clf_(n);
        F* __restrict__ okf = okf_.data();
        F* __restrict__ clf = clf_.data();
        for (int64_t t = 0; t < T; ++t) {
            const int64_t o = t * stride + b * n;
            F* __restrict__ Zo = Z + o;
            F* __restrict__ Vo = V_out + o;
            F* __restrict__ Ao = A_out + o;
            uint8_t* __restrict__ OKo = OK + o;
            uint8_t* __restrict__ CLo = CLAMP ? CLAMP + o : nullptr;  // null: the floor never binds
            neuron_step<F>(n, b0, beta, A_min, n_ref, alpha, rho, I_in + o, V, Vn, a, since, okf, clf, Zo, Vo, Ao);
            for (int64_t j = 0; j < n; ++j) {  // separate loop: byte stores would stop the one above vectorising
                OKo[j] = okf[j] != F(0);
                if (CLo) CLo[j] = clf[j] != F(0);
            }
            if (stp_U) stp_step<F>(n, stp_U, stp_Fd, stp_Dd, Zo, u_.data(), r_.data(), S + o, U_out + o, R_out + o);
            const F* sent = stp_U ? S : Z;
            add_recurrent_spikes<F>(t, n, nd, delays, [&](int64_t tp) { return sent + tp * stride + b * n; }, WsT, Vn);
            std::swap(V, Vn);
        }
    }
}

// zbar[q][j] += sum_r Ib[q][r] W[r][j] for the nb trials of a block: a small GEMM with accumulators in
// vector registers; the W panel (n rows x 2 vectors) stays in L1 while it is reused for every trial.
// The sum over r runs in increasing r as in the scalar form.
template <typename F> struct Simd;
template <> struct Simd<float> { typedef float V __attribute__((vector_size(32))); static constexpr int L = 8; };
template <> struct Simd<double> { typedef double V __attribute__((vector_size(32))); static constexpr int L = 4; };

// The contiguous share [lo, hi) of ``total`` items of the calling OpenMP thread (all of them without OpenMP).
inline void thread_share(int64_t total, int64_t& lo, int64_t& hi) {
    int tid = 0, nth = 1;
#ifdef _OPENMP
    tid = omp_get_thread_num();
    nth = omp_get_num_threads();
#endif
    lo = total * tid / nth;
    hi = total * (tid + 1) / nth;
}

inline int64_t padded(int64_t n) { return (n + 31) / 32 * 32; }

template <typename F>
inline void load(typename Simd<F>::V& v, const F* p) { std::memcpy(&v, p, sizeof(v)); }
template <typename F>
inline void store(F* p, const typename Simd<F>::V& v) { std::memcpy(p, &v, sizeof(v)); }

// sum_r a[r] b[r], vectorised (L partial sums, then the tail).
template <typename F>
inline F dot(const F* a, const F* b, int64_t n) {
    using V = typename Simd<F>::V;
    constexpr int L = Simd<F>::L;
    V acc0, acc1;
    std::memset(&acc0, 0, sizeof(V));
    std::memset(&acc1, 0, sizeof(V));
    int64_t r = 0;
    for (; r + 2 * L <= n; r += 2 * L) {
        V x0, y0, x1, y1;
        load<F>(x0, a + r);
        load<F>(y0, b + r);
        load<F>(x1, a + r + L);
        load<F>(y1, b + r + L);
        acc0 += x0 * y0;
        acc1 += x1 * y1;
    }
    acc0 += acc1;
    F s = 0;
    for (int l = 0; l < L; ++l) s += acc0[l];
    for (; r < n; ++r) s += a[r] * b[r];
    return s;
}

template <typename F>
inline void matvec_block(const F* Ib, const F* Wp, F* zbar, int64_t nb, int64_t n, int64_t np) {
    // Register tiles of QT trials x 2 vectors: per row r, 2 loads of W and QT broadcasts feed 2*QT FMAs.
    using V = typename Simd<F>::V;
    constexpr int L = Simd<F>::L, QT = 4;
    for (int64_t jb = 0; jb < np; jb += 2 * L) {
        int64_t q = 0;
        for (; q + QT <= nb; q += QT) {
            V a[QT][2];
            for (int i = 0; i < QT; ++i) {
                load<F>(a[i][0], zbar + (q + i) * np + jb);
                load<F>(a[i][1], zbar + (q + i) * np + jb + L);
            }
            const F* ib = Ib + q * n;
            for (int64_t r = 0; r < n; ++r) {
                V w0, w1;
                load<F>(w0, Wp + r * np + jb);
                load<F>(w1, Wp + r * np + jb + L);
                for (int i = 0; i < QT; ++i) {
                    const F c = ib[i * n + r];
                    a[i][0] += c * w0;
                    a[i][1] += c * w1;
                }
            }
            for (int i = 0; i < QT; ++i) {
                store<F>(zbar + (q + i) * np + jb, a[i][0]);
                store<F>(zbar + (q + i) * np + jb + L, a[i][1]);
            }
        }
        for (; q < nb; ++q) {  // remaining trials one at a time
            V a0, a1;
            load<F>(a0, zbar + q * np + jb);
            load<F>(a1, zbar + q * np + jb + L);
            const F* ib = Ib + q * n;
            for (int64_t r = 0; r < n; ++r) {
                V w0, w1;
                load<F>(w0, Wp + r * np + jb);
                load<F>(w1, Wp + r * np + jb + L);
                a0 += ib[r] * w0;
                a1 += ib[r] * w1;
            }
            store<F>(zbar + q * np + jb, a0);
            store<F>(zbar + q * np + jb + L, a1);
        }
    }
}

template <typename F>
void backward(int64_t T, int64_t B, int64_t n, int64_t nd, const int64_t* delays, const F* gZ, const F* gV,
              const F* gA, const F* Z, const F* Vs, const F* As, const uint8_t* OK, const uint8_t* CLAMP,
              const F* W, const F* alpha, const F* rho, const F* beta, F gamma, int adaptive, const F* S, const F* Us,
              const F* Rs, const F* stp_U, const F* stp_Fd, const F* stp_Dd, F* Ibar, F* gWT, int n_threads) {
    // With STP (stp_U not null), what neuron i sends is s_i = z_i e_i with e_i = (U + u_i)(1 - r_i), so the
    // recurrent sum W^T Ibar gives sbar_i (the adjoint of s_i), and, with ubar, rbar the adjoints of u(t+1),
    // r(t+1) and u_new = Fd u + U (1 - U - u) z:
    //   g     = ubar + rbar (1 - r) z
    //   zbar += sbar e + rbar (U + u_new)(1 - r) + g U (1 - U - u)
    //   ubar  = sbar z (1 - r) + g (Fd - U z);   rbar = -sbar z (U + u) + rbar (Dd - (U + u_new) z)
    // sbar is needed where psi != 0 (through zbar) or z = 1 (through ubar, rbar); gW_d[j][i] += Ibar_j s_i.
    const int64_t stride = B * n;
    const bool stp = stp_U != nullptr;
    // Each thread owns a contiguous block of trials for the whole reverse sweep (no per-step
    // synchronisation). W^T Ibar(t + d) is computed only for the neurons whose pseudo-derivative is
    // nonzero at step t (dot products), or, when most are, as a register-tiled dense product.
#pragma omp parallel num_threads(n_threads)
    {
        int64_t b_lo, b_hi;
        thread_share(B, b_lo, b_hi);
        const int64_t nb = b_hi - b_lo;
        const int64_t np = padded(n);
        std::vector<F> Vbar_(nb * n, 0), abar_(nb * n, 0), zbar_(nb * np, 0), psi_(nb * n);
        std::vector<F> sbar_(stp ? nb * np : 0, 0), ubar_(stp ? nb * n : 0, 0), rbar_(stp ? nb * n : 0, 0);
        F* acc_ = stp ? sbar_.data() : zbar_.data();  // where the recurrent sum W^T Ibar goes
        std::vector<int64_t> active_(nb * n), n_active(nb);
        std::vector<F> Wp(nd * n * np, 0);  // W_d rows padded to np (a multiple of the block width)
        std::vector<F> WT(nd * n * n);      // W_d transposed: row j = column j of W_d
        for (int64_t k = 0; k < nd; ++k)
            for (int64_t r = 0; r < n; ++r)
                for (int64_t j = 0; j < n; ++j) {
                    Wp[(k * n + r) * np + j] = W[(k * n + r) * n + j];
                    WT[(k * n + j) * n + r] = W[(k * n + r) * n + j];
                }
        for (int64_t t = T - 1; t >= 0 && nb > 0; --t) {
            int64_t total_active = 0;
            for (int64_t q = 0; q < nb; ++q) {
                const int64_t o = t * stride + (b_lo + q) * n;
                F* __restrict__ Ib_t = Ibar + o;
                const F* __restrict__ gZo = gZ ? gZ + o : nullptr;
                const F* __restrict__ Ao = As + o;
                const F* __restrict__ Vo = Vs + o;
                const uint8_t* __restrict__ OKo = OK + o;
                F* __restrict__ Vbar = Vbar_.data() + q * n;
                F* __restrict__ abar = abar_.data() + q * n;
                F* __restrict__ zbar = zbar_.data() + q * np;
                F* __restrict__ psi = psi_.data() + q * n;
                for (int64_t j = 0; j < n; ++j) {
                    Ib_t[j] = (F(1) - alpha[j]) * Vbar[j];
                    zbar[j] = (gZo ? gZo[j] : F(0)) - Ao[j] * Vbar[j] + (F(1) - rho[j]) * abar[j];
                    psi[j] = gamma * pseudo_derivative(Vo[j], Ao[j]) * F(OKo[j]);
                }
                int64_t m = 0;
                int64_t* act = active_.data() + q * n;
                if (stp) {
                    const F* __restrict__ Zo = Z + o;
                    for (int64_t j = 0; j < n; ++j)
                        if (psi[j] != F(0) || Zo[j] != F(0)) act[m++] = j;
                    std::memset(sbar_.data() + q * np, 0, np * sizeof(F));
                } else {
                    for (int64_t j = 0; j < n; ++j)
                        if (psi[j] != F(0)) act[m++] = j;
                }
                n_active[q] = m;
                total_active += m;
            }
            // zbar is needed only where the pseudo-derivative psi is nonzero (it enters Vbar and Abar
            // multiplied by psi): with few such neurons, dot products for those columns; else a dense GEMM.
            const bool sparse = 3 * total_active < nb * n;
            for (int64_t k = 0; k < nd; ++k) {
                const int64_t d = delays[k];
                if (t + d >= T) continue;
                const F* Ibd = Ibar + (t + d) * stride + b_lo * n;
                if (!sparse) {
                    matvec_block<F>(Ibd, Wp.data() + k * n * np, acc_, nb, n, np);
                    continue;
                }
                for (int64_t q = 0; q < nb; ++q) {
                    F* zbar = acc_ + q * np;
                    const int64_t* act = active_.data() + q * n;
                    for (int64_t a = 0; a < n_active[q]; ++a) {
                        const int64_t j = act[a];
                        zbar[j] += dot<F>(WT.data() + (k * n + j) * n, Ibd + q * n, n);
                    }
                }
            }
            for (int64_t q = 0; stp && q < nb; ++q) {
                const int64_t o = t * stride + (b_lo + q) * n;
                const F* __restrict__ Zo = Z + o;
                const F* __restrict__ uo = Us + o;
                const F* __restrict__ ro = Rs + o;
                const F* __restrict__ sbar = sbar_.data() + q * np;
                F* __restrict__ zbar = zbar_.data() + q * np;
                F* __restrict__ ubar = ubar_.data() + q * n;
                F* __restrict__ rbar = rbar_.data() + q * n;
                for (int64_t j = 0; j < n; ++j) {
                    const F U = stp_U[j], z = Zo[j], u = uo[j], omr = F(1) - ro[j];
                    const F Uun = U + stp_Fd[j] * u + U * (F(1) - U - u) * z;  // U + u(t+1)
                    const F g = ubar[j] + rbar[j] * omr * z;
                    zbar[j] += sbar[j] * (U + u) * omr + rbar[j] * Uun * omr + g * U * (F(1) - U - u);
                    ubar[j] = sbar[j] * z * omr + g * (stp_Fd[j] - U * z);
                    rbar[j] = -sbar[j] * z * (U + u) + rbar[j] * (stp_Dd[j] - Uun * z);
                }
            }
            for (int64_t q = 0; q < nb; ++q) {
                const int64_t o = t * stride + (b_lo + q) * n;
                const F* __restrict__ Ao = As + o;
                const F* __restrict__ Vo = Vs + o;
                const F* __restrict__ Zo = Z + o;
                const F* __restrict__ gVo = gV ? gV + o : nullptr;  // null: no gradient reaches V / A directly
                const F* __restrict__ gAo = gA ? gA + o : nullptr;
                const uint8_t* __restrict__ CLo = CLAMP ? CLAMP + o : nullptr;
                F* __restrict__ Vbar = Vbar_.data() + q * n;
                F* __restrict__ abar = abar_.data() + q * n;
                const F* __restrict__ zbar = zbar_.data() + q * np;
                const F* __restrict__ psi_q = psi_.data() + q * n;
                if (adaptive) {
                    for (int64_t j = 0; j < n; ++j) {
                        const F A = Ao[j], V = Vo[j], psi = psi_q[j];
                        const F Abar = (gAo ? gAo[j] : F(0)) - Zo[j] * Vbar[j] + zbar[j] * (-psi * V / (A * A));
                        abar[j] = rho[j] * abar[j] + beta[j] * (CLo ? F(CLo[j]) : F(1)) * Abar;
                        Vbar[j] = alpha[j] * Vbar[j] + zbar[j] * (psi / A) + (gVo ? gVo[j] : F(0));
                    }
                } else {
                    for (int64_t j = 0; j < n; ++j) {
                        const F A = Ao[j], psi = psi_q[j];
                        Vbar[j] = alpha[j] * Vbar[j] + zbar[j] * (psi / A) + (gVo ? gVo[j] : F(0));
                    }
                }
            }
        }
    }
    // weight gradients, event-driven over presynaptic spikes: gWT[k][i][j] += s_i(t) Ibar_j(t + d_k) for z_i(t) = 1
    // (s = z, or z e with STP). Threads own disjoint ranges of presynaptic neurons i (rows of gWT): no races,
    // fixed summation order.
    const F* Src = stp ? S : Z;
#pragma omp parallel num_threads(n_threads)
    {
        int64_t i_lo, i_hi;
        thread_share(n, i_lo, i_hi);
        for (int64_t k = 0; k < nd; ++k) {
            const int64_t d = delays[k];
            F* gk = gWT + k * n * n;
            for (int64_t t = 0; t + d < T; ++t)
                for (int64_t b = 0; b < B; ++b) {
                    const F* ss = Src + t * stride + b * n;
                    const F* __restrict__ Ib = Ibar + (t + d) * stride + b * n;
                    for (int64_t i = i_lo; i < i_hi; ++i) {
                        const F s = ss[i];
                        if (s == F(0)) continue;
                        F* __restrict__ g = gk + i * n;
                        for (int64_t j = 0; j < n; ++j) g[j] += s * Ib[j];
                    }
                }
        }
    }
}


// ---------------------------------------------------------------------------------------------------
// Memory-lean training path: input projection and readout fused into the recurrence, and a compact
// record of the forward pass instead of dense Z, V, A, OK arrays.
//
// The adjoint recursion needs the state of neuron j at step t only where its pseudo-derivative psi is
// nonzero (zbar enters Vbar and Abar multiplied by psi) or where it spiked (the reset term -z Vbar of
// Abar and the event-driven weight gradients). So the forward keeps, per trial and step, just those
// entries: (j | z << 31 | floor-inactive << 30, V, A) -- a fraction of the n neurons (e.g. 25 % on
// sequential MNIST), 12 bytes each in float instead of 14 bytes for every neuron. Input currents,
// dL/dZ from the readout and the per-step adjoints Ibar never exist as (T, B, n) arrays:
//   forward : I(t) = sum_{i: x_i(t - d_in) != 0} x_i W_in[j][i] (+ I_ext(t));  U(t) = sum_{j: z_j(t) = 1} W_out[:, j]
//   backward: zbar_j(t) at recorded psi != 0 entries = gZ - A Vbar + (1 - rho) abar
//             + sum_d W_d[:, j] . Ibar(t + d) + W_out[:, j] . gU(t)      (Ibar(t + d) from a ring buffer)
//             gW_d[j][i] += Ibar_j(t) z_i(t - d),  gW_in[j][i] += Ibar_j(t) x_i(t - d_in),  gW_out[k][j] += gU_k(t) z_j(t)
// with per-thread gradient partials summed in thread order at the end. The forward lists each step's spikes while it
// writes the record (a spike is always an entry) and reads the lists of the last max(delays) steps for the readout
// and the recurrent input, instead of scanning z of all n neurons.
// With short-term plasticity (stp_U not null) a spike delivers s = z (U + u)(1 - r) (stp_step), each record
// entry keeps u, r before the step's update as well, and the backward pass carries the adjoints ubar, rbar of
// every neuron (see backward() for the recursion): between a neuron's spikes they only decay, ubar *= Fd and
// rbar *= Dd, so W^T Ibar is needed at psi != 0 entries (for zbar) and at spikes (for ubar, rbar), as without STP.

// Invariant relied on by lean_backward: a recorded entry is never refractory. An entry is recorded
// where psi != 0 (psi carries the refractory gate ok, so ok = 1) or where z = 1 (a spike needs ok = 1),
// so the record needs no ok flag and the backward pass recomputes psi without it.
template <typename F>
struct Record {
    int64_t T = 0, B = 0, n = 0;
    std::vector<std::vector<uint32_t>> idx;  // per trial: j | z << 31 | cl << 30
    std::vector<std::vector<F>> va;          // per trial: V, A of each entry
    std::vector<std::vector<uint32_t>> off;  // per trial: first entry of each step (T + 1)
    std::vector<std::vector<F>> ur;          // with STP, per trial: u, r of each entry before the step's update
};

constexpr uint32_t Z_BIT = 1u << 31, CL_BIT = 1u << 30, J_MASK = CL_BIT - 1;

template <typename F>
Record<F>* lean_forward(int64_t T, int64_t B, int64_t n, int64_t nd, const int64_t* delays, int64_t n_in, int64_t d_in,
                        const F* x, const F* WinT, const F* WsT, int64_t k_out, const F* WoutT, const F* alpha,
                        const F* rho, const F* beta, const F* b0, const F* A_min, const F* n_ref, F gamma, const F* iext,
                        const F* stp_U, const F* stp_Fd, const F* stp_Dd, F* Z, F* C, F* U, int n_threads) {
    // Z (T, B, n) spikes and C (B, n) spike counts over the T steps: either may be null (not written).
    // With STP (stp_U not null) what each spike delivers is kept for the longest delay only: a ring buffer of
    // max(delays) + 1 steps per trial (slot t mod L is written at step t; read at steps t + d, d in 1..L-1).
    const bool stp = stp_U != nullptr;
    int64_t d_max = 0;
    for (int64_t k = 0; k < nd; ++k) d_max = std::max(d_max, delays[k]);
    const int64_t L = d_max + 1;
    auto* R = new Record<F>();
    R->T = T, R->B = B, R->n = n;
    R->idx.resize(B), R->va.resize(B), R->off.resize(B), R->ur.resize(stp ? B : 0);
    const int64_t stride = B * n;
    // W_out^T with rows padded to whole SIMD vectors: a spike's readout column is added a vector at a time
    using Vec = typename Simd<F>::V;
    constexpr int64_t VL = Simd<F>::L;
    const int64_t kp = (k_out + VL - 1) / VL * VL;
    std::vector<F> Wop(n * kp, F(0));
    for (int64_t j = 0; j < n; ++j)
        for (int64_t m = 0; m < k_out; ++m) Wop[j * kp + m] = WoutT[j * k_out + m];
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (int64_t b = 0; b < B; ++b) {
        std::vector<F> V_(n, 0), Vn_(n), a_(n, 0), since_(n, F(1 << 20)), I_(n), okf_(n), clf_(n), Vo_(n), Ao_(n);
        std::vector<F> u_(stp ? n : 0, 0), r_(stp ? n : 0, 0), uo_(stp ? n : 0), ro_(stp ? n : 0), ring_(stp ? L * n : 0);
        std::vector<uint32_t> code_(n), keep_(n);
        // the neurons that spiked at each of the last L steps, in increasing order (slot t mod L), and how many
        std::vector<uint32_t> spikes_(L * n);
        std::vector<int64_t> n_spikes_(L, 0);
        std::vector<F> Ubuf(kp), zrow_(Z ? 0 : n);
        F* __restrict__ Cb = C ? C + b * n : nullptr;
        if (Cb) std::fill(Cb, Cb + n, F(0));
        F* __restrict__ V = V_.data();
        F* __restrict__ Vn = Vn_.data();
        F* __restrict__ I = I_.data();
        std::vector<uint32_t>& idx = R->idx[b];
        std::vector<F>& va = R->va[b];
        std::vector<uint32_t>& off = R->off[b];
        off.assign(T + 1, 0);
        for (int64_t t = 0; t < T; ++t) {
            const int64_t o = t * stride + b * n;
            for (int64_t j = 0; j < n; ++j) I[j] = F(0);
            if (t >= d_in) {  // same order of additions as lsnn_project
                const F* xs = x + (b * T + (t - d_in)) * n_in;
                for (int64_t i = 0; i < n_in; ++i) {
                    const F c = xs[i];
                    if (c == F(0)) continue;
                    const F* __restrict__ w = WinT + i * n;
                    for (int64_t j = 0; j < n; ++j) I[j] += c * w[j];
                }
            }
            if (iext) {  // injected current (B, T, n), added after the projection as in the dense path
                const F* __restrict__ e = iext + (b * T + t) * n;
                for (int64_t j = 0; j < n; ++j) I[j] += e[j];
            }
            F* __restrict__ Zo = Z ? Z + o : zrow_.data();
            neuron_step<F>(n, b0, beta, A_min, n_ref, alpha, rho, I, V, Vn, a_.data(), since_.data(), okf_.data(),
                           clf_.data(), Zo, Vo_.data(), Ao_.data());
            if (stp) stp_step<F>(n, stp_U, stp_Fd, stp_Dd, Zo, u_.data(), r_.data(), ring_.data() + (t % L) * n, uo_.data(),
                                 ro_.data());
            // The entries of this step, appended without branches: every neuron is written at the next free
            // slot, which advances only where psi != 0 or z = 1 (a data dependence instead of a branch that
            // mispredicts at random), then the vectors are cut to the entries kept.
            const size_t m0 = idx.size();
            off[t] = static_cast<uint32_t>(m0);
            idx.resize(m0 + n), va.resize(2 * (m0 + n));
            if (stp) R->ur[b].resize(2 * (m0 + n));
            uint32_t* __restrict__ ip = idx.data() + m0;
            F* __restrict__ vp = va.data() + 2 * m0;
            F* __restrict__ up = stp ? R->ur[b].data() + 2 * m0 : nullptr;
            for (int64_t j = 0; j < n; ++j) {  // vectorises: the code of each neuron and whether it is kept
                const F psi = gamma * pseudo_derivative(Vo_[j], Ao_[j]) * okf_[j];
                code_[j] = static_cast<uint32_t>(j) | (Zo[j] != F(0) ? Z_BIT : 0u) | (clf_[j] != F(0) ? CL_BIT : 0u);
                keep_[j] = (psi != F(0)) | (Zo[j] != F(0));
            }
            size_t c = 0;
            uint32_t* __restrict__ sp = spikes_.data() + (t % L) * n;  // spikes are entries: listed on the way
            int64_t ns = 0;
            for (int64_t lo = 0; lo < n; lo += 64) {  // visit the kept neurons only, 64 at a time through a bit mask
                const int64_t hi = std::min(n, lo + 64);
                uint64_t mask = 0;
                for (int64_t j = lo; j < hi; ++j) mask |= static_cast<uint64_t>(keep_[j]) << (j - lo);
                for (; mask; mask &= mask - 1, ++c) {
                    const int64_t j = lo + __builtin_ctzll(mask);
                    ip[c] = code_[j];
                    vp[2 * c] = Vo_[j], vp[2 * c + 1] = Ao_[j];
                    if (stp) up[2 * c] = uo_[j], up[2 * c + 1] = ro_[j];
                    sp[ns] = static_cast<uint32_t>(j);
                    ns += (code_[j] & Z_BIT) != 0;
                }
            }
            n_spikes_[t % L] = ns;
            if (Cb)
                for (int64_t q = 0; q < ns; ++q) Cb[sp[q]] += F(1);
            idx.resize(m0 + c), va.resize(2 * (m0 + c));
            if (stp) R->ur[b].resize(2 * (m0 + c));
            // readout U(t) = W_out z(t): the spikes' columns in increasing j (the order of the dense sum)
            std::fill(Ubuf.begin(), Ubuf.end(), F(0));
            for (int64_t q = 0; q < ns; ++q) {
                const F* w = Wop.data() + sp[q] * kp;
                for (int64_t m = 0; m < kp; m += VL) {
                    Vec acc, wv;
                    load<F>(acc, Ubuf.data() + m);
                    load<F>(wv, w + m);
                    store<F>(Ubuf.data() + m, acc + wv);
                }
            }
            std::copy(Ubuf.begin(), Ubuf.begin() + k_out, U + (t * B + b) * k_out);
            // recurrent input: the spikes of t - d from the lists (with STP scaled by what they deliver)
            for (int64_t k = 0; k < nd; ++k) {
                const int64_t d = delays[k];
                if (t - d < 0) continue;
                const int64_t slot = (t - d) % L;
                const uint32_t* list = spikes_.data() + slot * n;
                const F* delivered = stp ? ring_.data() + slot * n : nullptr;
                const F* Wk = WsT + k * n * n;
                for (int64_t q = 0; q < n_spikes_[slot]; ++q) {
                    const int64_t i = list[q];
                    const F sv = stp ? delivered[i] : F(1);
                    if (sv == F(0)) continue;
                    const F* __restrict__ row = Wk + i * n;
                    for (int64_t j = 0; j < n; ++j) Vn[j] += sv * row[j];
                }
            }
            std::swap(V, Vn);
        }
        off[T] = static_cast<uint32_t>(idx.size());
    }
    return R;
}

template <typename F>
void lean_backward(const Record<F>* R, int64_t nd, const int64_t* delays, int64_t n_in, int64_t d_in, const F* x,
                   const F* W, int64_t k_out, const F* Wout, const F* alpha, const F* rho, const F* beta, F gamma,
                   int adaptive, const F* gZ, int64_t s_t, int64_t s_b, int64_t s_j, const F* gU, const F* stp_U,
                   const F* stp_Fd, const F* stp_Dd, F* gWinT, F* gWT, F* gWoutT, int64_t n_chunks, int n_threads) {
    const int64_t T = R->T, B = R->B, n = R->n;
    const bool stp = stp_U != nullptr;
    int64_t max_d = 0;
    for (int64_t k = 0; k < nd; ++k) max_d = delays[k] > max_d ? delays[k] : max_d;
    const int64_t ring = max_d + 1;
    // W_d transposed (row j = column j of W_d) and the adjoints Ibar in rows of np = padded(n) floats, zero
    // beyond n: the dot products W_d[:, j] . Ibar(t + d) run in whole vectors, without a scalar tail
    const int64_t np = padded(n);
    std::vector<F> WT(nd * n * np, F(0));
    for (int64_t k = 0; k < nd; ++k)
        for (int64_t r = 0; r < n; ++r)
            for (int64_t j = 0; j < n; ++j) WT[(k * n + j) * np + r] = W[(k * n + r) * n + j];
    std::vector<F> WoutT(n * k_out);
    for (int64_t m = 0; m < k_out; ++m)
        for (int64_t j = 0; j < n; ++j) WoutT[j * k_out + m] = Wout[m * n + j];
    // Weight gradients are summed per chunk of trials, then the chunks in chunk order. With n_chunks > 0
    // the chunks are a fixed partition of the batch, whatever the number of threads, so the floating-point
    // summation order -- and the trained weights -- do not depend on the thread count; n_chunks = 0 uses
    // one chunk per thread (the order then depends on the thread count; kept for the benchmark).
    const int64_t wanted = n_chunks > 0 ? n_chunks : (n_threads > 0 ? n_threads : 1);
    const int64_t n_parts = B < wanted ? B : wanted;
    const int64_t size_rec = nd * n * n, size_in = n_in * n, size_out = n * k_out;
    std::vector<std::vector<F>> parts(n_parts);
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (int64_t part = 0; part < n_parts; ++part) {
        std::vector<F>& acc = parts[part];
        acc.assign(size_rec + size_in + size_out, F(0));
        F* gW_rec = acc.data();
        F* gW_in = gW_rec + size_rec;
        F* gW_out = gW_in + size_in;
        const int64_t b_lo = B * part / n_parts, b_hi = B * (part + 1) / n_parts;
        std::vector<F> Vbar(n), abar(n), Ibar(ring * np, F(0)), dV(n), dA(n);
        std::vector<F> ubar(stp ? n : 0), rbar(stp ? n : 0), du(stp ? n : 0), dr(stp ? n : 0);
        for (int64_t b = b_lo; b < b_hi; ++b) {
            const uint32_t* idx = R->idx[b].data();
            const F* va = R->va[b].data();
            const F* ur = stp ? R->ur[b].data() : nullptr;
            const uint32_t* off = R->off[b].data();
            std::fill(Vbar.begin(), Vbar.end(), F(0));
            std::fill(abar.begin(), abar.end(), F(0));
            std::fill(ubar.begin(), ubar.end(), F(0));
            std::fill(rbar.begin(), rbar.end(), F(0));
            for (int64_t t = T - 1; t >= 0; --t) {
                F* __restrict__ Ib = Ibar.data() + (t % ring) * np;
                for (int64_t j = 0; j < n; ++j) Ib[j] = (F(1) - alpha[j]) * Vbar[j];
                // weight gradients with Ibar(t): recurrent (spikes of t - d), input (inputs of t - d_in)
                for (int64_t k = 0; k < nd; ++k) {
                    const int64_t s = t - delays[k];
                    if (s < 0) continue;
                    for (uint32_t e = off[s]; e < off[s + 1]; ++e) {
                        if (!(idx[e] & Z_BIT)) continue;
                        const int64_t i = idx[e] & J_MASK;
                        F* __restrict__ g = gW_rec + (k * n + i) * n;
                        if (stp) {  // the spike delivered s = (U + u)(1 - r)
                            const F sv = (stp_U[i] + ur[2 * e]) * (F(1) - ur[2 * e + 1]);
                            for (int64_t j = 0; j < n; ++j) g[j] += sv * Ib[j];
                        } else {
                            for (int64_t j = 0; j < n; ++j) g[j] += Ib[j];
                        }
                    }
                }
                if (t >= d_in) {
                    const F* xs = x + (b * T + (t - d_in)) * n_in;
                    for (int64_t i = 0; i < n_in; ++i) {
                        const F c = xs[i];
                        if (c == F(0)) continue;
                        F* __restrict__ g = gW_in + i * n;
                        for (int64_t j = 0; j < n; ++j) g[j] += c * Ib[j];
                    }
                }
                const F* gu = gU ? gU + (t * B + b) * k_out : nullptr;
                const uint32_t e0 = off[t], e1 = off[t + 1];
                for (uint32_t e = e0; e < e1; ++e) {
                    const int64_t j = idx[e] & J_MASK;
                    const F z = (idx[e] & Z_BIT) ? F(1) : F(0);
                    const F V = va[2 * e], A = va[2 * e + 1];
                    if (gu && z != F(0)) {
                        F* __restrict__ g = gW_out + j * k_out;
                        for (int64_t m = 0; m < k_out; ++m) g[m] += gu[m];
                    }
                    // no refractory gate here: recorded entries are never refractory (see Record)
                    const F psi = gamma * pseudo_derivative(V, A);
                    F Abar = -z * Vbar[j];
                    F dVj = F(0);
                    if (stp || psi != F(0)) {  // with STP every entry (psi != 0 or z = 1) needs sbar
                        // W^T Ibar: zbar's recurrent part, or with STP sbar, the adjoint of what neuron j delivers
                        F wib = F(0);
                        for (int64_t k = 0; k < nd; ++k) {
                            const int64_t d = delays[k];
                            if (t + d >= T) continue;
                            wib += dot<F>(WT.data() + (k * n + j) * np, Ibar.data() + ((t + d) % ring) * np, np);
                        }
                        F Uj = F(0), u = F(0), omr = F(0), Uun = F(0), g = F(0);
                        if (stp) {
                            Uj = stp_U[j], u = ur[2 * e], omr = F(1) - ur[2 * e + 1];
                            Uun = Uj + stp_Fd[j] * u + Uj * (F(1) - Uj - u) * z;  // U + u(t+1)
                            g = ubar[j] + rbar[j] * omr * z;
                        }
                        if (psi != F(0)) {  // zbar as in backward()
                            F zbar = (gZ ? gZ[t * s_t + b * s_b + j * s_j] : F(0)) - A * Vbar[j] + (F(1) - rho[j]) * abar[j];
                            zbar += stp ? wib * (Uj + u) * omr + rbar[j] * Uun * omr + g * Uj * (F(1) - Uj - u) : wib;
                            if (gu)
                                for (int64_t m = 0; m < k_out; ++m) zbar += WoutT[j * k_out + m] * gu[m];
                            Abar += zbar * (-psi * V / (A * A));
                            dVj = zbar * (psi / A);
                        }
                        if (stp) {  // new ubar, rbar (without a spike the same decays that every other neuron gets below)
                            du[e - e0] = wib * z * omr + g * (stp_Fd[j] - Uj * z);
                            dr[e - e0] = -wib * z * (Uj + u) + rbar[j] * (stp_Dd[j] - Uun * z);
                        }
                    }
                    dV[e - e0] = dVj;
                    dA[e - e0] = beta[j] * ((idx[e] & CL_BIT) ? F(1) : F(0)) * Abar;
                }
                for (int64_t j = 0; j < n; ++j) Vbar[j] = alpha[j] * Vbar[j];
                if (adaptive)
                    for (int64_t j = 0; j < n; ++j) abar[j] = rho[j] * abar[j];
                if (stp)
                    for (int64_t j = 0; j < n; ++j) {
                        ubar[j] = stp_Fd[j] * ubar[j];
                        rbar[j] = stp_Dd[j] * rbar[j];
                    }
                for (uint32_t e = e0; e < e1; ++e) {
                    const int64_t j = idx[e] & J_MASK;
                    Vbar[j] += dV[e - e0];
                    if (adaptive) abar[j] += dA[e - e0];
                    if (stp) {  // entries: the full update computed above replaces the decay
                        ubar[j] = du[e - e0];
                        rbar[j] = dr[e - e0];
                    }
                }
            }
        }
    }
    for (int64_t p = 0; p < n_parts; ++p) {  // fixed order over fixed chunks: independent of the thread count
        if (parts[p].empty()) continue;
        const F* acc = parts[p].data();
        for (int64_t q = 0; q < size_rec; ++q) gWT[q] += acc[q];
        for (int64_t q = 0; q < size_in; ++q) gWinT[q] += acc[size_rec + q];
        for (int64_t q = 0; q < size_out; ++q) gWoutT[q] += acc[size_rec + size_in + q];
    }
}

}  // namespace

extern "C" {

int lsnn_kernel_version() { return 13; }

#define LSNN_EXPORT(SUFFIX, F)                                                                                    \
    void lsnn_forward_##SUFFIX(int64_t T, int64_t B, int64_t n, int64_t nd, const int64_t* delays, const F* I_in,  \
                               const F* WsT, const F* alpha, const F* rho, const F* beta, const F* b0,             \
                               const F* A_min, const F* n_ref, int adaptive, const F* stp_U, const F* stp_Fd, \
                               const F* stp_Dd, F* Z, F* V, F* A, uint8_t* OK, uint8_t* CLAMP, F* S, F* U, F* R,   \
                               int n_threads) {                                                                    \
        forward<F>(T, B, n, nd, delays, I_in, WsT, alpha, rho, beta, b0, A_min, n_ref, adaptive, stp_U, stp_Fd,   \
                   stp_Dd, Z, V, A, OK, CLAMP, S, U, R, n_threads);                                                \
    }                                                                                                              \
    void lsnn_backward_##SUFFIX(int64_t T, int64_t B, int64_t n, int64_t nd, const int64_t* delays, const F* gZ,    \
                                const F* gV, const F* gA, const F* Z, const F* Vs, const F* As, const uint8_t* OK, \
                                const uint8_t* CLAMP, const F* W, const F* alpha, const F* rho, const F* beta,     \
                                F gamma, int adaptive, const F* S, const F* Us, const F* Rs, const F* stp_U,      \
                                const F* stp_Fd, const F* stp_Dd, F* Ibar, F* gWT, int n_threads) {                \
        backward<F>(T, B, n, nd, delays, gZ, gV, gA, Z, Vs, As, OK, CLAMP, W, alpha, rho, beta, gamma, adaptive,   \
                    S, Us, Rs, stp_U, stp_Fd, stp_Dd, Ibar, gWT, n_threads);                                       \
    }

LSNN_EXPORT(f32, float)
LSNN_EXPORT(f64, double)

// Sparse input projection I[t][b][j] = sum_i x[b][t - d][i] W[j][i] (x batch-major, I time-major) (zero for t < d), visiting only the
// nonzero inputs (spikes), with WT[i][j] = W[j][i]; and its weight gradient gWT[i][j] += x[t][b][i] gI[t + d][b][j].
#define LSNN_PROJECT(SUFFIX, F)                                                                                 \
    void lsnn_project_##SUFFIX(int64_t T, int64_t B, int64_t n_in, int64_t n, int64_t d, const F* x, const F* WT, \
                               F* I, int n_threads) {                                                           \
        _Pragma("omp parallel num_threads(n_threads)") {                                                        \
            int64_t lo, hi;                                                                                     \
            thread_share(B, lo, hi);                                                                            \
            for (int64_t t = 0; t < T; ++t)                                                                     \
                for (int64_t b = lo; b < hi; ++b) {                                                             \
                    F* __restrict__ out = I + (t * B + b) * n;                                                  \
                    for (int64_t j = 0; j < n; ++j) out[j] = F(0);                                              \
                    if (t < d) continue;                                                                        \
                    const F* xs = x + (b * T + (t - d)) * n_in;                                                 \
                    for (int64_t i = 0; i < n_in; ++i) {                                                        \
                        const F c = xs[i];                                                                      \
                        if (c == F(0)) continue;                                                                \
                        const F* __restrict__ w = WT + i * n;                                                   \
                        for (int64_t j = 0; j < n; ++j) out[j] += c * w[j];                                     \
                    }                                                                                           \
                }                                                                                               \
        }                                                                                                       \
    }                                                                                                           \
    void lsnn_project_grad_##SUFFIX(int64_t T, int64_t B, int64_t n_in, int64_t n, int64_t d, const F* x,        \
                                    const F* gI, F* gWT, int n_threads) {                                       \
        _Pragma("omp parallel num_threads(n_threads)") {                                                        \
            int64_t lo, hi;                                                                                     \
            thread_share(n_in, lo, hi);                                                                         \
            for (int64_t t = 0; t + d < T; ++t)                                                                 \
                for (int64_t b = 0; b < B; ++b) {                                                               \
                    const F* xs = x + (b * T + t) * n_in;                                                       \
                    const F* __restrict__ g = gI + ((t + d) * B + b) * n;                                       \
                    for (int64_t i = lo; i < hi; ++i) {                                                         \
                        const F c = xs[i];                                                                      \
                        if (c == F(0)) continue;                                                                \
                        F* __restrict__ acc = gWT + i * n;                                                      \
                        for (int64_t j = 0; j < n; ++j) acc[j] += c * g[j];                                     \
                    }                                                                                           \
                }                                                                                               \
        }                                                                                                       \
    }

LSNN_PROJECT(f32, float)
LSNN_PROJECT(f64, double)

// Leaky readout y(t) = kappa y(t-1) + (1 - kappa) u(t) over (T, M) time-major arrays, and its adjoint
// gu(t) = (1 - kappa) s(t) with s(t) = g(t) + kappa s(t+1).
#define LSNN_FILTER(SUFFIX, F)                                                                        \
    void lsnn_filter_##SUFFIX(int64_t T, int64_t M, const F* kappa_m, const F* u, F* y, int reverse) {  \
        std::vector<F> state(M, F(0));                                                                  \
        for (int64_t s = 0; s < T; ++s) {                                                               \
            const int64_t t = reverse ? T - 1 - s : s;                                                  \
            for (int64_t m = 0; m < M; ++m) {                                                           \
                if (reverse) {                                                                          \
                    state[m] = u[t * M + m] + kappa_m[m] * state[m];                                    \
                    y[t * M + m] = state[m] * (F(1) - kappa_m[m]);                                      \
                } else {                                                                                \
                    state[m] = kappa_m[m] * state[m] + (F(1) - kappa_m[m]) * u[t * M + m];              \
                    y[t * M + m] = state[m];                                                            \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

LSNN_FILTER(f32, float)
LSNN_FILTER(f64, double)

// Memory-lean fused path (see lean_forward / lean_backward): the record is an opaque handle that
// Python frees with lsnn_record_free_* once the backward pass (or the graph) is gone.
#define LSNN_LEAN(SUFFIX, F)                                                                                       \
    void* lsnn_lean_forward_##SUFFIX(int64_t T, int64_t B, int64_t n, int64_t nd, const int64_t* delays,           \
                                     int64_t n_in, int64_t d_in, const F* x, const F* WinT, const F* WsT,           \
                                     int64_t k_out, const F* WoutT, const F* alpha, const F* rho, const F* beta,    \
                                     const F* b0, const F* A_min, const F* n_ref, F gamma, const F* iext,            \
                                     const F* stp_U, const F* stp_Fd, const F* stp_Dd, F* Z, F* C,                  \
                                     F* U, int n_threads) {                                                              \
        return lean_forward<F>(T, B, n, nd, delays, n_in, d_in, x, WinT, WsT, k_out, WoutT, alpha, rho, beta, b0,   \
                               A_min, n_ref, gamma, iext, stp_U, stp_Fd, stp_Dd, Z, C, U, n_threads);                  \
    }                                                                                                              \
    void lsnn_lean_backward_##SUFFIX(const void* rec, int64_t nd, const int64_t* delays, int64_t n_in,             \
                                     int64_t d_in, const F* x, const F* W, int64_t k_out, const F* Wout,            \
                                     const F* alpha, const F* rho, const F* beta, F gamma, int adaptive,            \
                                     const F* gZ, int64_t s_t, int64_t s_b, int64_t s_j, const F* gU,                \
                                     const F* stp_U, const F* stp_Fd, const F* stp_Dd, F* gWinT, F* gWT,             \
                                     F* gWoutT, int64_t n_chunks, int n_threads) {                                 \
        lean_backward<F>(static_cast<const Record<F>*>(rec), nd, delays, n_in, d_in, x, W, k_out, Wout, alpha, rho, \
                         beta, gamma, adaptive, gZ, s_t, s_b, s_j, gU, stp_U, stp_Fd, stp_Dd, gWinT, gWT, gWoutT,   \
                         n_chunks, n_threads);                                                                     \
    }                                                                                                              \
    void lsnn_record_free_##SUFFIX(void* rec) { delete static_cast<Record<F>*>(rec); }

LSNN_LEAN(f32, float)
LSNN_LEAN(f64, double)
}
