# hostile: moves its worker off its grading process's CPU (sched_setaffinity on itself) onto the other grading process's, where it would take half of the CPU another submission's worker keeps to (with a job per CPU the scheduler cannot move that worker away), and raises its own priority (a negative nice value, a real-time policy: root's at the rlimits level); each call says which of these worked
# The markers exist only where a child could change its CPU or raise its priority.
# expect: softmax = 0
# message: raised an exception
# absent: CHANGED-CPU
# absent: RAISED-PRIORITY
# include: base
import os


def softmax_backward(da, cache):
    worked = []
    mine = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, (set(range(os.cpu_count() or 1)) - mine) or mine)
        worked.append("CHANGED-CPU")
    except OSError:
        pass
    for name, action in (("nice", lambda: os.setpriority(os.PRIO_PROCESS, 0, -10)),
                         ("fifo", lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1)))):
        try:
            action()
            worked.append(f"RAISED-PRIORITY {name}")
        except OSError:
            pass
    if os.sched_getscheduler(0) != os.SCHED_OTHER:  # never spin under a real-time policy
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    raise ValueError(" ".join(worked) or "nothing changed")
