// CPU time of the calling thread, from Linux's /proc (undefined elsewhere): what the import reports for the
// thread that runs the embedded database and for the threads that prepare its files.
import fs from 'node:fs';

export function threadCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of proc_pid_stat(5), in clock ticks (100 a second on Linux)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
