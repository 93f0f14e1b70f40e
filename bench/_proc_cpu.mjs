/**
 * CPU time of another process, for the load generators that report the
 * server's CPU per message (`/proc/PID/stat`, Linux).
 */
import { readFileSync } from "node:fs";

/** User plus system CPU seconds of process `pid` (clock ticks of 1/100 s), or null. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
