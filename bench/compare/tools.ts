/** The tools bench/compare runs, by name. */
import { CniTool } from './cni';
import { FloorTool } from './floor';
import { NetavarkTool } from './netavark';
import { NsnetTool } from './nsnet';
import { ShellTool } from './shell';
import type { Tool, ToolName } from './workload';

export function makeTool(name: ToolName): Tool {
  switch (name) {
    case 'nsnet':
      return new NsnetTool();
    case 'netavark':
      return new NetavarkTool();
    case 'cni':
      return new CniTool();
    case 'shell':
      return new ShellTool();
    case 'floor':
      return new FloorTool();
  }
}
