"""The C backend's streaming step from Python: what ``CNet.step`` keeps per shape of ``x_t`` so that the plain
loop ``y, s = net.step(x, s)`` costs little more than the library's own step.

Per net and per shape ``(B, I)`` of ``x_t`` a :class:`StepPlan` holds what does not change over a stream: the
cffi type of x, the library's step entry point and a cycle of :data:`RING` output sets. A call crosses into C
once, with 2 arguments (``rr_net_step_bound``: an ``rr_step_bound`` filled in advance with every argument of
``rr_net_step`` but x, and x) instead of ``rr_net_step``'s 17, through the compiled cffi module ``make c-step-py``
builds where there is one (API mode, about 0.1 us cheaper per call), else through ``ffi.dlopen`` (ABI mode):
:mod:`rnn_rosetta.backends.c_step_call`.

An output set (a *record*) is ``out_t``, ``h_next``, ``c_next`` and ``y_t``, each an array of its own, and the
:class:`State` handed out with them. Each record links to the next one of the cycle: ``(target record, the
rr_step_bound that reads this record's state and writes the target's outputs)``, so a step from the state
the last step returned finds its arguments in one lookup. A step writes a record only when nobody holds any
of what it handed out: y_t, the State, its h and c are then referenced by the record alone, which
``sys.getrefcount`` tells, compared with the count taken on an untouched record (:meth:`StepPlan.calibrate`).
A view or buffer of one of those arrays references it, so it counts as holding it. When the record is held
the step puts a new record in its place in the cycle (the held one lives on with its holder). So an array a
step returned is never written again while anything refers to it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from rnn_rosetta.backends.base import State
from rnn_rosetta.backends.c_step_call import step_function

#: Records per cycle: the plain loop writes the one after the state's, and one returned two calls ago is free
#: again; 4 leave room for a caller that keeps the last one or two results.
RING = 4

getrefcount = sys.getrefcount

#: Reference counts tell who holds a record only where the GIL orders them; a free-threaded Python (3.13t)
#: takes the checked path (Net.step, fresh arrays at every call) instead.
COUNTS_ARE_EXACT = getattr(sys, "_is_gil_enabled", lambda: True)()

# The fields of a record (a list): the State handed out, y_t handed out (out_t without a head), h_next,
# c_next (h_next again without one, so that every record counts four references), the link to the next
# record, out_t, and the cffi pointers over out_t, h_next, c_next and y_t (NULL for an absent one).
STATE, Y_T, H_NEXT, C_OR_H, LINK, OUT_T, POINTERS = range(7)

Record = list  # [State, y_t, h_next, c_next or h_next, link, out_t, pointers]


class StepPlan:
    """What the fast step of one net needs at one shape ``(B, I)`` of x_t, worked out once."""

    __slots__ = (
        "batch", "by_id", "c_shape", "c_type", "dtype", "ffi", "fn", "free_count", "h_shape", "last",
        "net_handle", "null", "out_shape", "ring", "start", "x_len", "y_shape",
    )  # fmt: skip

    def __init__(
        self, ffi: Any, lib: Any, net_handle: Any, model: Any, dtype: np.dtype, batch: int, call_mode: str | None
    ) -> None:
        self.ffi = ffi
        self.dtype = dtype
        f32 = dtype == np.float32
        self.fn = step_function(ffi, lib, f32, call_mode)  # rr_net_step_bound[_f32] (c_step_call: API or ABI mode)
        self.net_handle = net_handle  # kept: the net outlives every rr_step_bound that points to it
        self.batch = batch
        self.x_len = batch * model.input_size  # x_t's shape is the plan's: CNet.step looks plans up by it
        self.c_type = ffi.typeof("float[]" if f32 else "double[]")
        self.null = ffi.NULL
        self.out_shape = (batch, model.output_size)  # [B, H_out]
        self.h_shape = (model.num_layers, batch, model.output_size)  # [L, B, H_out]
        self.c_shape = (model.num_layers, batch, model.hidden_size) if model.cell == "lstm" else None  # [L, B, H]
        self.y_shape = (batch, model.head.size) if model.head is not None else None  # [B, O]
        self.ring: list[Record] = [self.new_record() for _ in range(RING)]
        for index, record in enumerate(self.ring):
            record[LINK] = self.link(record, self.ring[(index + 1) % RING])
        self.start = self.link(None, self.ring[0])  # where a step from state None goes
        self.by_id = {id(record[STATE]): record for record in self.ring}  # the cycle's records by their State
        self.last: Record = [object()]  # the record the last step wrote; at first one whose State nobody has
        self.free_count = self.calibrate(self.ring[0])

    def new_record(self) -> Record:
        """A fresh output set, not linked yet."""
        ffi, dtype, c_type = self.ffi, self.dtype, self.c_type
        out_t = np.empty(self.out_shape, dtype)
        h_next = np.empty(self.h_shape, dtype)
        c_next = None if self.c_shape is None else np.empty(self.c_shape, dtype)
        y_t = None if self.y_shape is None else np.empty(self.y_shape, dtype)
        pointers = tuple(self.null if a is None else ffi.from_buffer(c_type, a) for a in (out_t, h_next, c_next, y_t))
        returned = out_t if y_t is None else y_t
        c_or_h = h_next if c_next is None else c_next
        return [State(h_next, c_next), returned, h_next, c_or_h, None, out_t, pointers]

    def link(self, source: Record | None, target: Record) -> tuple[Record, Any]:
        """``(target, rr_step_bound *)`` for a step from source's state (None: zeros) into target's outputs."""
        if source is None:
            return target, self.bound(self.null, 0, self.null, 0, target)
        _, p_h, p_c, _ = source[POINTERS]
        c_next = source[STATE].c
        return target, self.bound(p_h, source[H_NEXT].size, p_c, 0 if c_next is None else c_next.size, target)

    def bound(self, h: Any, h_len: int, c: Any, c_len: int, target: Record) -> Any:
        """An ``rr_step_bound *``: this plan's net and batch, the state (h, c with their counts) and target's
        outputs."""
        bound = self.ffi.new("rr_step_bound *")
        bound.net, bound.batch, bound.x_len = self.net_handle, self.batch, self.x_len
        bound.err = self.null  # a refused step is redone by Net.step's checked path, which says why
        bound.h, bound.h_len, bound.c, bound.c_len = h, h_len, c, c_len
        p_out, p_h, p_c, p_y = target[POINTERS]
        out_t, h_next, c_next = target[OUT_T], target[H_NEXT], target[STATE].c
        bound.out_t, bound.out_len = p_out, out_t.size
        bound.h_next, bound.h_next_len = p_h, h_next.size
        bound.c_next, bound.c_next_len = p_c, 0 if c_next is None else c_next.size
        bound.y_t, bound.y_len = p_y, 0 if self.y_shape is None else target[Y_T].size
        return bound

    @staticmethod
    def calibrate(record: Record) -> int:
        """The held-count of a record, taken exactly as ``CNet.step`` takes it: its State and y_t bound to
        locals, then the four counts (State, y_t, h_next, c_next or h_next again). On a record nobody else
        refers to, this is the count every free record has."""
        out_state, y_t = record[STATE], record[Y_T]
        return getrefcount(out_state) + getrefcount(y_t) + getrefcount(record[H_NEXT]) + getrefcount(record[C_OR_H])

    def splice(self, source: Record | None, held: Record) -> tuple[Record, Any]:
        """A new record in the cycle in place of ``held`` (which its holder keeps): source's link (None: the
        start's) now leads to it, and it to where ``held`` led. Returns source's new link. Nothing is changed
        in place that a step in another thread may be reading: links are replaced whole."""
        record = self.new_record()
        record[LINK] = self.link(record, held[LINK][0] if held[LINK] is not None else self.ring[0])
        link = self.link(source, record)
        if source is None:
            self.start = link
        else:
            source[LINK] = link
        for index, member in enumerate(self.ring):
            if member is held:
                self.by_id.pop(id(held[STATE]), None)
                self.ring[index] = record
                self.by_id[id(record[STATE])] = record
        return link

    def free_record(self) -> Record | None:
        """A record of the cycle that nobody holds, claimed as in :meth:`calibrate` (the caller binds its State
        and y_t and counts again), or None."""
        for record in self.ring:
            if self.calibrate(record) == self.free_count:
                return record
        return None

    def pointers_of(self, record: Record) -> tuple[Any, int, Any, int, Any, int, Any, int]:
        """``(out_t, count, h_next, count, c_next, count, y_t, count)``: rr_net_step's outputs in ``record``."""
        p_out, p_h, p_c, p_y = record[POINTERS]
        c_next = record[STATE].c
        y_len = 0 if self.y_shape is None else record[Y_T].size
        return (
            p_out,
            record[OUT_T].size,
            p_h,
            record[H_NEXT].size,
            p_c,
            0 if c_next is None else c_next.size,
            p_y,
            y_len,
        )

    def state_pointers(self, state: Any) -> tuple[Any, int, Any, int] | None:
        """``(h, h_len, c, c_len)`` for a step from ``state``: a record's State, None (zeros), or a pair of
        C-contiguous arrays of the net's dtype and shapes (or None each); else None, for Net.step to convert."""
        if state is None:
            return self.null, 0, self.null, 0
        if type(state) not in (State, tuple) or len(state) != 2:
            return None
        h, c = state
        h_ptr = self.null if h is None else self.pointer(h, self.h_shape)
        c_ptr = self.null if c is None else self.pointer(c, self.c_shape)
        if h_ptr is None or c_ptr is None:
            return None
        return h_ptr, 0 if h is None else h.size, c_ptr, 0 if c is None else c.size

    def pointer(self, array: Any, shape: tuple[int, ...] | None) -> Any:
        """A pointer to ``array`` when it is a C-contiguous array of the net's dtype and ``shape``, else None."""
        if (
            type(array) is not np.ndarray
            or array.shape != shape
            or array.dtype is not self.dtype
            or not array.flags.c_contiguous
        ):
            return None
        return self.ffi.from_buffer(self.c_type, array)
