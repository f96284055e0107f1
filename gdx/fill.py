"""(f, ∇f) of a batch written into given arrays, through preallocated temporaries.

The batched engine keeps every step's f and ∇f of a block in buffers (gdx.batch).  Called as
generated, the compiled (f, ∇f) function makes a new array for every operation (numpy's
temporaries), turns every number literal into an array again at every operation, and returns
new arrays that the engine then stacks and copies into the buffers.  :func:`kernel_source`
rewrites the function so that

* each operation ``a ∘ b`` (∘ ∈ + − × ÷), ``−a`` and each call of a numpy ufunc, when an operand
  is an array of the batch, is the same ufunc called with an ``out`` array: a temporary
  ``_t<i>`` (reused once nothing reads it any more) or, for an entry of the returned list, the
  array given for it (``_o<j>``); every other entry is copied in (``copyto``);
* a number literal operand of such an operation is a column of that number (``_c<i>``), made
  once per batch size.

The numbers are bit for bit those of the plain function: ``a + b`` on arrays *is*
``numpy.add(a, b)`` (the operators call the ufuncs), a ufunc writing into ``out`` computes the
same IEEE operation per element (also in place, when ``out`` is an operand whose value is no
longer needed), and c ∘ a per element is the same with c a scalar or a column of c.  Left
alone (computed as before): ``a ** p`` (numpy's operator takes fast paths for p = 2, ½, … that
``power`` does not), calls of other functions (their arguments' temporaries are then never
reused: such a function might return its argument), and operations on numbers alone (Python's
float ÷ raises on 0 where numpy gives inf).  :func:`filling` checks the result on a probe batch
against the plain function before it is used, and the rewritten source passes the same
allow-list check as all generated code (:func:`gdx.derive.check_generated`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

#: The ufunc of each operator an operation of the batch is written with (``ndarray``'s own).
UFUNC_OF = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide"}

#: Ufuncs not given a positional ``out`` (numpy ≥ 2.4 deprecates it for these two).
NO_OUT = frozenset({"maximum", "minimum"})

#: The largest batch whose constants are columns (one Rosenbrock evaluation, measured: columns
#: 13–22 % faster at 10–1,000 rows, 4 % slower at 4,096, 27 % at 10,000:
#: ``python bench/bench_batch.py --kernel``).
COLUMNS_UP_TO = 3072

#: The extra names a kernel calls (as ``_fill_<name>``), beside gdx.derive's namespace.
FILL_NAMES = ("add", "subtract", "multiply", "true_divide", "negative", "copyto")


@dataclass(frozen=True)
class Kernel:
    """A filling function ``function(columns, outs, temps, consts)`` and what it needs:
    ``temps`` scratch arrays of the batch size and ``consts`` columns of these numbers."""

    function: object
    temps: int
    consts: tuple

    def arrays(self, m: int) -> tuple:
        """New temporaries and the constants for a batch of m rows (a caller keeps its own: two
        batches never share scratch arrays): columns up to :data:`COLUMNS_UP_TO` rows, the numbers
        themselves beyond (where reading a column costs more than numpy's handling of a scalar;
        either gives the same numbers)."""
        import numpy as np

        consts = [np.full(m, c) for c in self.consts] if m <= COLUMNS_UP_TO else list(self.consts)
        return [np.empty(m) for _ in range(self.temps)], consts


class _Emitter:
    """The rewriting of one function body: which locals are arrays, how many reads of each are
    still to come and how many are being used, which temporary each holds, and the free ones."""

    def __init__(self, namespace: dict, reads: dict) -> None:
        self.namespace = namespace
        self.reads_left = dict(reads)  # local → reads not yet emitted
        self.pending = {}  # local → emitted reads whose consumer is not yet emitted
        self.buf_of: dict = {}  # local → the temporary holding its value
        self.arrays: set = set()  # locals whose value is an array of the batch
        self.pinned: set = set()  # temporaries never reused (passed to a function that is not a ufunc)
        self.free: list = []
        self.temps = 0
        self.consts: list = []
        self.const_index: dict = {}

    # -- temporaries -------------------------------------------------------------------------
    def take(self) -> int:
        if self.free:
            return self.free.pop()
        self.temps += 1
        return self.temps - 1

    def release(self, holds: list) -> None:
        """A consumer was emitted: the temporaries its operands held are free again (a local's
        once its last read is consumed), unless pinned."""
        for kind, what in holds:
            if kind == "temp":
                buf = what
            else:
                self.pending[what] -= 1
                if self.pending[what] or self.reads_left[what] or what not in self.buf_of:
                    continue
                buf = self.buf_of.pop(what)
            if buf not in self.pinned and buf not in self.free:
                self.free.append(buf)

    def pin(self, holds: list) -> None:
        for kind, what in holds:
            buf = what if kind == "temp" else self.buf_of.get(what)
            if buf is not None:
                self.pinned.add(buf)

    def column(self, value: float) -> ast.Name:
        """The column of ``value`` (one per distinct float: 0.0 and −0.0 are two)."""
        key = repr(value)
        if key not in self.const_index:
            self.const_index[key] = len(self.consts)
            self.consts.append(value)
        return _name(f"_c{self.const_index[key]}")

    # -- expressions -------------------------------------------------------------------------
    def emit(self, node, out=None):
        """(node rewritten, is it an array of the batch, the temporary its value is in or None,
        the holds its consumer must release).  ``out``: write the value into this array."""
        if isinstance(node, ast.Name):
            if node.id in self.reads_left:
                self.reads_left[node.id] -= 1
                self.pending[node.id] = self.pending.get(node.id, 0) + 1
                return node, node.id in self.arrays, self.buf_of.get(node.id), [("name", node.id)]
            return node, node.id in self.arrays, None, []  # a variable's column, or a numpy constant
        if isinstance(node, ast.Constant):
            return node, False, None, []
        if isinstance(node, ast.BinOp):
            left, la, _, lh = self.emit(node.left)
            right, ra, _, rh = self.emit(node.right)
            if not (la or ra):
                return ast.BinOp(left=left, op=node.op, right=right), False, None, lh + rh
            if type(node.op) not in UFUNC_OF:  # ** (and anything else): the operator, a new array
                self.release(lh + rh)
                return ast.BinOp(left=left, op=node.op, right=right), True, None, []
            operands = [self._operand(node.left, left, la), self._operand(node.right, right, ra)]
            return self._ufunc(UFUNC_OF[type(node.op)], operands, lh + rh, out)
        if isinstance(node, ast.UnaryOp):
            operand, oa, _, oh = self.emit(node.operand)
            if oa and isinstance(node.op, ast.USub):
                return self._ufunc("negative", [operand], oh, out)
            if oa:
                self.release(oh)
                return ast.UnaryOp(op=node.op, operand=operand), True, None, []
            return ast.UnaryOp(op=node.op, operand=operand), False, None, oh
        if isinstance(node, ast.Call):
            args, holds, any_array = self._emit_all(node.args)
            fn = self.namespace.get(node.func.id) if isinstance(node.func, ast.Name) else None
            if any_array and _is_ufunc(fn) and fn.nout == 1 and fn.nin == len(args) and node.func.id not in NO_OUT:
                return self._ufunc(None, args, holds, out, func=node.func)
            if any_array and _is_ufunc(fn):  # a ufunc makes a new array: its operands' temporaries are free
                self.release(holds)
                return ast.Call(func=node.func, args=args, keywords=[]), True, None, []
            if any_array:
                self.pin(holds)
                return ast.Call(func=node.func, args=args, keywords=[]), True, None, []
            return ast.Call(func=node.func, args=args, keywords=[]), False, None, holds
        if isinstance(node, (ast.List, ast.Tuple)):
            elts, holds, any_array = self._emit_all(node.elts)
            return type(node)(elts=elts, ctx=ast.Load()), any_array, None, holds
        raise _Unsupported(type(node).__name__)

    def _emit_all(self, nodes) -> tuple:
        """Emit ``nodes`` left to right: (the rewritten nodes, their holds, is any an array)."""
        out, holds, any_array = [], [], False
        for node in nodes:
            rewritten, is_array, _, h = self.emit(node)
            out.append(rewritten)
            holds += h
            any_array |= is_array
        return out, holds, any_array

    def _operand(self, original, rewritten, is_array: bool):
        """A number literal beside an array becomes its column; everything else stays."""
        value = _literal(original)
        return self.column(value) if not is_array and value is not None else rewritten

    def _ufunc(self, name, args, holds, out, func=None):
        self.release(holds)
        if out is not None:
            target, buf = out, None
        else:
            buf = self.take()
            target = _name(f"_t{buf}")
        call = ast.Call(func=func or _name(f"_fill_{name}"), args=[*args, target], keywords=[])
        return call, True, buf, ([("temp", buf)] if buf is not None else [])


class _Unsupported(Exception):
    """The function is not of the shape kernel_source rewrites (it is then used as it is)."""


#: The names a kernel adds (a function using one of them is left as it is).
_OURS = re.compile(r"_out$|_t$|_c$|_[otc]\d+$|_fill_")


def _name(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _is_ufunc(fn) -> bool:
    import numpy as np

    return isinstance(fn, np.ufunc)


def _literal(node):
    """The float of a number literal (``2.0``, ``-400.0``), else None."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is float:
        return sign * node.value
    return None


def kernel_source(source: str, size: int, namespace: dict) -> tuple[str, int, tuple] | None:
    """``source`` (one generated function ``def _lambdifygenerated(arg): [a₀, …] = arg; … ;
    return [e₀, …]`` of ``size`` entries) rewritten as a kernel (module docstring): the text of
    ``_lambdifygenerated(arg, _out, _t, _c)``, its number of temporaries and its constants; None
    when the function is not of that shape."""
    tree = ast.parse(source)
    func = tree.body[0] if len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef) else None
    if func is None or len(func.args.args) != 1 or len(func.body) < 2 or not isinstance(func.body[-1], ast.Return):
        return None
    first, body, ret = func.body[0], func.body[1:-1], func.body[-1].value
    arg = func.args.args[0].arg
    if not (isinstance(first, ast.Assign) and len(first.targets) == 1 and isinstance(first.targets[0], (ast.List, ast.Tuple))
            and all(isinstance(t, ast.Name) for t in first.targets[0].elts)
            and isinstance(first.value, ast.Name) and first.value.id == arg):
        return None
    if not isinstance(ret, (ast.List, ast.Tuple)) or len(ret.elts) != size:
        return None
    if not all(isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) for s in body):
        return None
    variables = [t.id for t in first.targets[0].elts]
    assigned = [s.targets[0].id for s in body]
    if len(set(assigned)) != len(assigned) or set(assigned) & {arg, *variables} \
            or any(_OURS.match(name) for name in [arg, *variables, *assigned]):
        return None
    reads: dict = {}
    for stmt in [*body, func.body[-1]]:
        for node in ast.walk(stmt.value):
            if isinstance(node, ast.Name) and node.id in assigned:
                reads[node.id] = reads.get(node.id, 0) + 1
    emitter = _Emitter(namespace, reads)
    emitter.arrays.update(variables)
    try:
        statements = []
        for stmt in body:
            target = stmt.targets[0].id
            if isinstance(stmt.value, ast.Name):  # an alias: its temporary is never reused
                value, is_array, _, holds = emitter.emit(stmt.value)
                emitter.pin(holds)
                emitter.release(holds)
                buf = None
            else:
                value, is_array, buf, holds = emitter.emit(stmt.value)
                emitter.release([h for h in holds if h != ("temp", buf)])  # the local keeps its own
            if is_array:
                emitter.arrays.add(target)
            if buf is not None:
                emitter.buf_of[target] = buf
                emitter.pending[target] = 0
                if not reads.get(target):
                    emitter.release([("temp", buf)])
            statements.append(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value))
        entries = []
        for j, entry in enumerate(ret.elts):
            out = _name(f"_o{j}")
            value, is_array, _, holds = emitter.emit(entry, out=out)
            if not (isinstance(value, ast.Call) and value.args and value.args[-1] is out):
                value = ast.Call(func=_name("_fill_copyto"), args=[out, value], keywords=[])
            emitter.release(holds)
            entries.append(value)
    except _Unsupported:
        return None
    unpack = [ast.Assign(targets=[ast.List(elts=[ast.Name(id=f"{p}{i}", ctx=ast.Store()) for i in range(count)],
                                           ctx=ast.Store())], value=_name(name))
              for p, name, count in (("_o", "_out", size), ("_t", "_t", emitter.temps), ("_c", "_c", len(emitter.consts)))
              if count]
    func.args.args += [ast.arg(arg=a) for a in ("_out", "_t", "_c")]
    func.body = [first, *unpack, *statements, ast.Return(value=ast.List(elts=entries, ctx=ast.Load()))]
    return ast.unparse(ast.fix_missing_locations(tree)), emitter.temps, tuple(emitter.consts)


def fill_namespace(namespace: dict) -> dict:
    """gdx.derive's namespace plus the ufuncs a kernel calls (as ``_fill_<name>``)."""
    import numpy

    return {**namespace, **{f"_fill_{name}": getattr(numpy, name) for name in FILL_NAMES}}


def filling(fg, size: int) -> Kernel | None:
    """The kernel of the compiled function ``fg`` (its ``size`` entries written into ``outs``;
    module docstring), or None when ``fg`` has no generated source of that shape or the kernel
    does not give the plain function's numbers, bit for bit, on a probe batch."""
    from .derive import _FUNC, check_generated

    source = getattr(fg, "gdx_source", None)
    made = kernel_source(source, size, fg.__globals__) if source else None
    if made is None:
        return None
    text, temps, consts = made
    namespace = fill_namespace(fg.__globals__)
    check_generated(text, namespace)
    local: dict = {}
    exec(compile(text, f"<gdx-kernel-{abs(hash(text))}>", "exec"), namespace, local)  # noqa: S102 - checked
    kernel = Kernel(local[_FUNC], temps, consts)
    return kernel if _agrees(kernel, fg, size) else None


#: The probe batch's values: signs, zeros, sizes, and the values where functions turn.
PROBE = (0.5, -1.25, 0.0, 2.0, -0.0, 3.5, -7.0, 1e-3, 40.0, 1.0)


def _agrees(kernel: Kernel, fg, size: int) -> bool:
    """Does the kernel write the plain function's numbers (NaN where it has NaN, the same signs of
    zero) on a probe batch of len(PROBE) rows (each variable's column a rotation of PROBE), with
    no warning from numpy?"""
    import numpy as np

    import warnings

    try:
        n, m = size - 1, len(PROBE)
        x = np.array([np.roll(PROBE, i) for i in range(n)])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")  # a call numpy warns about (a deprecation) is not used
            plain = [np.broadcast_to(np.asarray(p, dtype=float), (m,)) for p in fg(x)]
            outs = [np.empty(m) for _ in range(size)]
            temps, consts = kernel.arrays(m)
            kernel.function(x, outs, temps, consts)
    except Exception:  # noqa: BLE001 - any failure: the plain function is used
        return False
    return all(np.array_equal(p, o, equal_nan=True) and np.array_equal(np.signbit(p), np.signbit(o))
               for p, o in zip(plain, outs))
