# hostile: its exception messages (a cell that raises as the notebook loads, and softmax_backward on the public inputs its fresh worker reruns the call on) hold ANSI escapes that clear a terminal and write a score of their own, a window title, a carriage return and backspaces that overwrite the grader's words, a bidi override that reverses them and a zero-width space: `cat feedback/NAME.md` showed "FAKE 100/100" on a cleared screen
# Each such character must reach the feedback as a visible escape, never as itself (made at run time: the cell's
# own text, which the feedback quotes, holds none).
# expect: softmax = 0
# message: raised an exception
# message: \x1b[2J\x1b[HFAKE 100/100
# message: \x1b]0;graded\x07
# message: \r\x08\x08
# message: \u202ereversed\u200bhidden
# message: LOADED \x1b[1A\x1b[2K
# include: base
_ESC, _BEL, _CR, _BS, _RLO, _ZWSP = (chr(code) for code in (0x1b, 0x07, 0x0d, 0x08, 0x202e, 0x200b))
_TEXT = f"{_ESC}[2J{_ESC}[HFAKE 100/100 {_ESC}]0;graded{_BEL} {_CR}{_BS}{_BS} {_RLO}reversed{_ZWSP}hidden"


def softmax_backward(da, cache):
    raise ValueError(_TEXT)


raise RuntimeError(f"LOADED {_ESC}[1A{_ESC}[2K" + _TEXT)
