import { parseStat, sumTree } from './proc';

describe('parseStat', () => {
  it('reads ppid and times after the last ")" (a command may hold spaces and parentheses)', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const line = '4242 (postgres: a (b) c) S 17 4242 4242 0 -1 4194560 10 0 0 0 250 50 30 20 20 0 1 0 100 0 0';
    expect(parseStat(line, 100)).toEqual({ pid: 4242, ppid: 17, cpu: 3, reapedChildrenCpu: 0.5 });
  });
});

describe('sumTree', () => {
  it("adds a process's own and reaped children's CPU to every live descendant's", () => {
    const stats = [
      { pid: 10, ppid: 1, cpu: 1, reapedChildrenCpu: 5 }, // postmaster: 5 s of exited backends
      { pid: 11, ppid: 10, cpu: 2, reapedChildrenCpu: 0 },
      { pid: 12, ppid: 10, cpu: 3, reapedChildrenCpu: 0 },
      { pid: 13, ppid: 12, cpu: 0.5, reapedChildrenCpu: 0 },
      { pid: 99, ppid: 1, cpu: 100, reapedChildrenCpu: 0 }, // not ours
    ];
    expect(sumTree(10, stats)).toBe(11.5);
    expect(sumTree(404, stats)).toBe(0);
  });
});
