"""Build submissions for the grader's tests: the reference notebook with one
question cell replaced, deleted, or with an extra cell, written to disk.

The wrong and the alternative answers below are written the way a student
would write them, from the notebook's text; none is taken from the grader's
own mistake variants (autograder/questions.py), so that a test using them
checks the diagnosis against an independent reading of assignments/backprop/notes.md.
"""

from pathlib import Path
from textwrap import dedent

import nbformat

from autograder import release
from backprop import BACKPROP

QUESTIONS = BACKPROP.functions
MAX_POINTS = {question.function: question.points for question in BACKPROP.questions}


def source(text):
    return dedent(text).strip() + "\n"


def notebook(answers=None, *, delete=(), extra_cells=()):
    """The reference notebook, with the question cells of `answers`
    ({function: source}) replaced, the question cells of `delete` removed,
    and each (position, source) of `extra_cells` inserted as a code cell
    (position: "start", "end", or "after:<function>")."""
    nb = release.render(BACKPROP, answers=dict(answers or {}), reference=True)
    nb.cells = [c for c in nb.cells if c.metadata.get(release.CELL_TAG) not in set(delete)]
    for position, code in extra_cells:
        cell = nbformat.v4.new_code_cell(source(code))
        if position == "start":
            index = 0
        elif position == "end":
            index = len(nb.cells)
        else:
            _, function = position.split(":")
            index = 1 + next(i for i, c in enumerate(nb.cells) if c.metadata.get(release.CELL_TAG) == function)
        nb.cells.insert(index, cell)
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number:02d}"
    return nb


def write(folder, name, nb):
    """Write the notebook `nb` as folder/name.ipynb; its path."""
    path = Path(folder) / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(release.serialize(nb))
    return path


def reference_source(function):
    """The reference code of one question cell, as the reference notebook holds it."""
    return release.without_markers(release.function_sources(BACKPROP.reference_path)[function])


def reference_module_source():
    """A whole .py submission: every given and reference function, no markers."""
    sources = release.function_sources(BACKPROP.reference_path)
    return "import numpy as np\n\n\n" + "\n\n\n".join(release.without_markers(s) for s in sources.values()) + "\n"


# --- wrong answers, one per known mistake (assignments/backprop/notes.md) ------------------------------------
# name -> (function, source, the mistake the grader should name)

MISTAKES = {
    "dropout_no_rescale": ("dropout_backward", """
        def dropout_backward(dout, cache):
            if not cache["train"]:
                return dout.copy()
            return dout * cache["keep"]
    """, "forgets the 1/(1-p) scale"),
    "dropout_times_keep_probability": ("dropout_backward", """
        def dropout_backward(dout, cache):
            if not cache["train"]:
                return dout
            p = cache["p"]
            return dout * cache["keep"] * (1 - p)
    """, "scales by (1-p) instead of 1/(1-p)"),
    "softmax_diagonal_only": ("softmax_backward", """
        def softmax_backward(da, cache):
            a = cache["a"]
            return da * a * (1 - a)
    """, "keeps only the diagonal of the Jacobian"),
    "softmax_wrong_axis": ("softmax_backward", """
        def softmax_backward(da, cache):
            a = cache["a"]
            dot = np.sum(da * a, axis=0)
            return a * (da - dot)
    """, "sums over the wrong axis"),
    "cross_entropy_no_mean": ("softmax_cross_entropy", """
        def softmax_cross_entropy(z, y):
            N = z.shape[0]
            a = softmax(z)
            loss = -np.mean(np.log(a[np.arange(N), y]))
            dz = a.copy()
            dz[np.arange(N), y] -= 1
            return loss, dz
    """, "forgets the 1/N of the mean"),
    "batchnorm_constant_statistics": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            gamma, var, eps = cache["gamma"], cache["var"], cache["eps"]
            dx = dout * gamma / np.sqrt(var + eps)
            dgamma = np.sum(dout * cache["x_hat"], axis=0)
            dbeta = np.sum(dout, axis=0)
            return dx, dgamma, dbeta
    """, "treats the mean and variance as constants"),
    "batchnorm_no_mean_path": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
            N = x.shape[0]
            std = np.sqrt(var + eps)
            dx_hat = dout * gamma
            dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
            dx = dx_hat / std + dvar * 2 * (x - mu) / N
            dgamma = np.sum(dout * cache["x_hat"], axis=0)
            dbeta = np.sum(dout, axis=0)
            return dx, dgamma, dbeta
    """, "drops the path through the mean"),
    "batchnorm_no_variance_path": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            x, var, eps, gamma = cache["x"], cache["var"], cache["eps"], cache["gamma"]
            N = x.shape[0]
            std = np.sqrt(var + eps)
            dx_hat = dout * gamma
            dmu = -np.sum(dx_hat / std, axis=0)
            dx = dx_hat / std + dmu / N
            dgamma = np.sum(dout * cache["x_hat"], axis=0)
            dbeta = np.sum(dout, axis=0)
            return dx, dgamma, dbeta
    """, "drops the path through the variance"),
    "batchnorm_unbiased_variance": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            x, mu, eps, gamma = cache["x"], cache["mu"], cache["eps"], cache["gamma"]
            N = x.shape[0]
            var = np.sum((x - mu) ** 2, axis=0) / (N - 1)
            inv_std = 1 / np.sqrt(var + eps)
            dx_hat = dout * gamma
            dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * inv_std ** 3
            dmu = -np.sum(dx_hat * inv_std, axis=0)
            dx = dx_hat * inv_std + dvar * 2 * (x - mu) / (N - 1) + dmu / N
            dgamma = np.sum(dout * cache["x_hat"], axis=0)
            dbeta = np.sum(dout, axis=0)
            return dx, dgamma, dbeta
    """, "uses 1/(N-1) in the variance"),
    "batchnorm_dgamma_sum": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            x_hat, gamma = cache["x_hat"], cache["gamma"]
            N = dout.shape[0]
            inv_std = 1.0 / np.sqrt(cache["var"] + cache["eps"])
            dbeta = dout.sum(axis=0)
            dgamma = dout.sum(axis=0)
            dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * (dout * x_hat).sum(axis=0))
            return dx, dgamma, dbeta
    """, "computes dgamma as sum(dout)"),
    "net_no_relu_mask": ("bn_net_backward", """
        def bn_net_backward(dscores, cache):
            grads = {}
            dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
            dxbn = dropout_backward(dzbn, cache["dropout"])
            dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, cache["bn"])
            grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
            return grads
    """, "forgets the ReLU mask"),
    "net_no_dropout_backward": ("bn_net_backward", """
        def bn_net_backward(dscores, cache):
            grads = {}
            dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
            dxbn = relu_backward(dzbn, cache["relu"])
            dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, cache["bn"])
            grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
            return grads
    """, "skips the dropout backward"),
}


# --- correct answers written another way ----------------------------------------------------

ALTERNATIVES = {
    "dropout_loop": ("dropout_backward", """
        def dropout_backward(dout, cache):
            dx = np.zeros_like(dout)
            for index in np.ndindex(*dout.shape):
                if not cache["train"]:
                    dx[index] = dout[index]
                elif cache["keep"][index]:
                    dx[index] = dout[index] / (1 - cache["p"])
            return dx
    """),
    "softmax_full_jacobian": ("softmax_backward", """
        def softmax_backward(da, cache):
            a = cache["a"]
            dz = np.empty_like(da)
            for n in range(a.shape[0]):
                jacobian = np.diag(a[n]) - np.outer(a[n], a[n])   # C x C, symmetric
                dz[n] = jacobian.T @ da[n]
            return dz
    """),
    "cross_entropy_eye_onehot": ("softmax_cross_entropy", """
        def softmax_cross_entropy(z, y):
            N, C = z.shape
            a = softmax(z)
            loss = -np.mean(np.log(a[np.arange(N), y]))
            onehot = np.eye(C)[y]
            dz = (a - onehot) / N
            return loss, dz
    """),
    "cross_entropy_softmax_per_row": ("softmax_cross_entropy", """
        def softmax_cross_entropy(z, y):
            # One example at a time: softmax is called N times, and this is no numerical gradient.
            N = z.shape[0]
            loss, dz = 0.0, np.zeros_like(z)
            for i in range(N):
                a_i = softmax(z[i:i + 1])[0]
                loss += -np.log(a_i[y[i]]) / N
                a_i[y[i]] -= 1
                dz[i] = a_i / N
            return loss, dz
    """),
    "batchnorm_computation_graph": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            # Step by step back through x_hat = (x - mu) / sqrt(var + eps),
            # keeping the (zero) cross term of dmu through dvar.
            x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
            N = x.shape[0]
            xmu = x - mu
            ivar = 1.0 / np.sqrt(var + eps)
            dbeta = np.sum(dout, axis=0)
            dgamma = np.sum(dout * xmu * ivar, axis=0)
            dx_hat = dout * gamma
            divar = np.sum(dx_hat * xmu, axis=0)
            dxmu1 = dx_hat * ivar
            dsqrtvar = -divar / (var + eps)
            dvar = 0.5 * dsqrtvar / np.sqrt(var + eps)
            dsq = np.ones_like(x) * dvar / N
            dxmu2 = 2 * xmu * dsq
            dx1 = dxmu1 + dxmu2
            dmu = -np.sum(dx1, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
            dx2 = np.ones_like(x) * dmu / N
            dx = dx1 + dx2
            return dx, dgamma, dbeta
    """),
    "batchnorm_without_cross_term": ("batchnorm_backward", """
        def batchnorm_backward(dout, cache):
            x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
            N = x.shape[0]
            inv_std = 1 / np.sqrt(var + eps)
            dx_hat = dout * gamma
            dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * inv_std ** 3
            dmu = -np.sum(dx_hat * inv_std, axis=0)   # the term dvar * mean(-2 (x - mu)) is zero
            dx = dx_hat * inv_std + dvar * 2 * (x - mu) / N + dmu / N
            dgamma = np.sum(dout * cache["x_hat"], axis=0)
            dbeta = np.sum(dout, axis=0)
            return dx, dgamma, dbeta
    """),
    "net_inlined": ("bn_net_backward", """
        def bn_net_backward(dscores, cache):
            # Everything by hand, no helper: affine 2, dropout, ReLU, BN, affine 1.
            X, W1, _ = cache["affine1"]
            zbn, W2, _ = cache["affine2"]
            grads = {"W2": zbn.T @ dscores, "b2": dscores.sum(axis=0)}
            d = dscores @ W2.T
            drop = cache["dropout"]
            if drop["train"]:
                d = np.where(drop["keep"], d / (1 - drop["p"]), 0.0)
            d = np.where(cache["relu"] > 0, d, 0.0)
            bn = cache["bn"]
            x_hat, gamma = bn["x_hat"], bn["gamma"]
            N = d.shape[0]
            grads["beta"] = d.sum(axis=0)
            grads["gamma"] = (d * x_hat).sum(axis=0)
            dy1 = gamma / np.sqrt(bn["var"] + bn["eps"]) * (d - d.mean(axis=0) - x_hat * (d * x_hat).mean(axis=0))
            grads["W1"] = X.T @ dy1
            grads["b1"] = dy1.sum(axis=0)
            grads["X"] = dy1 @ W1.T
            return grads
    """),
    # The stress case's hint: subtract each row's maximum before exp, or call softmax; a student does both.
    "cross_entropy_max_shift_then_softmax": ("softmax_cross_entropy", """
        def softmax_cross_entropy(z, y):
            N = z.shape[0]
            shifted = z - np.max(z, axis=1, keepdims=True)
            a, _ = softmax_forward(shifted)
            loss = -np.mean(np.log(a[np.arange(N), y]))
            dz = a.copy()
            dz[np.arange(N), y] -= 1
            return loss, dz / N
    """),
}
# softmax_forward calls softmax itself: one call of a forward pass per row, not two.
ALTERNATIVES["cross_entropy_softmax_forward_per_row"] = ("softmax_cross_entropy", """
    def softmax_cross_entropy(z, y):
        N = z.shape[0]
        dz = np.zeros_like(z)
        loss = 0.0
        for i in range(N):
            a, _ = softmax_forward(z[i:i + 1])
            loss -= np.log(a[0, y[i]])
            dz[i] = a[0]
            dz[i, y[i]] -= 1
        return loss / N, dz / N
""")
# log(a) is the logits less a constant per row: the given softmax_forward gives the cache's a back.
ALTERNATIVES["softmax_recomputed_from_log_a"] = ("softmax_backward", """
    def softmax_backward(da, cache):
        a, _ = softmax_forward(np.log(cache["a"]))
        return a * (da - np.sum(a * da, axis=1, keepdims=True))
""")
# One loop over the examples for the loss, another for the gradient: softmax twice at each row.
ALTERNATIVES["cross_entropy_two_loops_over_the_rows"] = ("softmax_cross_entropy", """
    def softmax_cross_entropy(z, y):
        N = z.shape[0]
        loss = 0.0
        for i in range(N):
            loss += -np.log(softmax(z[i:i + 1])[0, y[i]])
        dz = np.zeros_like(z)
        for i in range(N):
            dz[i] = softmax(z[i:i + 1])[0]
            dz[i, y[i]] -= 1
        return loss / N, dz / N
""")
# The loss through softmax, the gradient through softmax_forward, at each row: the same points twice.
ALTERNATIVES["cross_entropy_softmax_then_softmax_forward_per_row"] = ("softmax_cross_entropy", """
    def softmax_cross_entropy(z, y):
        N = z.shape[0]
        loss, dz = 0.0, np.zeros_like(z)
        for i in range(N):
            loss -= np.log(softmax(z[i:i + 1])[0, y[i]]) / N
            a, _ = softmax_forward(z[i:i + 1])
            dz[i] = a[0]
            dz[i, y[i]] -= 1
        return loss, dz / N
""")
# Written in place on the arguments, as many students do: dout, da and z are the student's to change.
ALTERNATIVES["dropout_in_place_on_dout"] = ("dropout_backward", """
    def dropout_backward(dout, cache):
        if not cache["train"]:
            return dout
        dout[~cache["keep"]] = 0
        dout /= (1 - cache["p"])
        return dout
""")
ALTERNATIVES["batchnorm_in_place_on_dout"] = ("batchnorm_backward", """
    def batchnorm_backward(dout, cache):
        xh = cache["x_hat"]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * xh).sum(axis=0)
        dout *= cache["gamma"]
        dout /= np.sqrt(cache["var"] + cache["eps"])
        dx = dout - dout.mean(axis=0) - xh * (dout * xh).mean(axis=0)
        return dx, dgamma, dbeta
""")
ALTERNATIVES["cross_entropy_shift_in_place"] = ("softmax_cross_entropy", """
    def softmax_cross_entropy(z, y):
        N = z.shape[0]
        z -= np.max(z, axis=1, keepdims=True)
        a = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(a[np.arange(N), y]))
        a[np.arange(N), y] -= 1
        a /= N
        return loss, a
""")
# The given forward passes called at the case's own numbers, to recompute what the cache holds.
ALTERNATIVES["net_recomputed_with_the_forward_passes"] = ("bn_net_backward", """
    def bn_net_backward(dscores, cache):
        X, W1, b1 = cache["affine1"]
        bn = cache["bn"]
        y1, _ = affine_forward(X, W1, b1)
        _, bn_cache = batchnorm_forward(y1, bn["gamma"], np.zeros_like(bn["gamma"]), {"mode": "train", "eps": bn["eps"]})
        relu_out, _ = relu_forward(cache["relu"])
        grads = {}
        dz, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
        dxbn = dropout_backward(dz, cache["dropout"]) * (relu_out > 0)
        dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, bn_cache)
        grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
        return grads
""")
