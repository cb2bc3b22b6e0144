"""Writes the C source of ``_rr_step_call``, the cffi API-mode (out-of-line) module through which ``CNet.step``'s
fast path crosses into C: ``python -m rnn_rosetta.backends.c_step_call_build OUT.c`` (``make c-step-py`` runs it
and compiles the file with the Python headers; see mk/c.mk).

Why: a call through cffi's ABI mode (``ffi.dlopen``) costs about 0.1 us more than one through a compiled
module, and the fast step makes one call per step. The module is a trampoline only: it does not link
librnn_rosetta.so, so it works with whichever copy of the library ``load_library`` opened (checkout, bundled or
``RR_C_LIBRARY``). At first use, ``rnn_rosetta.backends.c_step_call`` (``_bound_module``) hands it the addresses of
that library's ``rr_net_step_bound`` and ``rr_net_step_bound_f32``; each call then goes straight to them. Its
functions take the bound as ``const void *`` so that the ``rr_step_bound`` records the ABI-mode ``ffi`` made
pass as they are (cffi accepts any pointer for ``void *``). Like every cffi call, it releases the GIL.

Only cffi is needed to write the source (no setuptools, no compiler); make compiles it.
"""

from __future__ import annotations

import sys
from pathlib import Path

MODULE = "_rr_step_call"

#: What Python sees. rr_py_step_bind stores the two entry points (once, at load, before any step).
CDEF = """
int rr_py_step_bind(void *step_f64, void *step_f32);
int rr_py_step(const void *bound, const double *x_t);
int rr_py_step_f32(const void *bound, const float *x_t);
"""

#: The C side: the entry points' types from the public header, so every call has the callee's exact type.
SOURCE = """
#include "rnn_rosetta.h"

typedef rr_status (*rr_py_step_f64_fn)(const rr_step_bound *, const double *);
typedef rr_status (*rr_py_step_f32_fn)(const rr_step_bound *, const float *);

static rr_py_step_f64_fn rr_py_step_f64_entry;
static rr_py_step_f32_fn rr_py_step_f32_entry;

/* Returns 0, or 1 when either address is NULL (nothing stored). */
int rr_py_step_bind(void *step_f64, void *step_f32)
{
    if (step_f64 == NULL || step_f32 == NULL) {
        return 1;
    }
    /* object pointer -> function pointer: how cffi hands over a function's address (POSIX guarantees it) */
    rr_py_step_f64_entry = (rr_py_step_f64_fn)step_f64;
    rr_py_step_f32_entry = (rr_py_step_f32_fn)step_f32;
    return 0;
}

int rr_py_step(const void *bound, const double *x_t)
{
    return (int)rr_py_step_f64_entry((const rr_step_bound *)bound, x_t);
}

int rr_py_step_f32(const void *bound, const float *x_t)
{
    return (int)rr_py_step_f32_entry((const rr_step_bound *)bound, x_t);
}
"""


def write_source(target: Path) -> None:
    """The module's C source (cffi's generated wrapper around :data:`SOURCE`) into ``target``."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source(MODULE, SOURCE)
    ffi.emit_c_code(str(target))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m rnn_rosetta.backends.c_step_call_build OUT.c", file=sys.stderr)
        return 2
    try:
        write_source(Path(argv[0]))
    except ImportError as exc:
        print(f"c_step_call_build: cffi is not installed for {sys.executable} ({exc})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
