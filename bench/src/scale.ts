import type { Progress } from './progress.js';
import type { AdapterName } from './suite.js';

export interface ScaleReport {
  adapter: AdapterName;
  markdown: string;
}

export async function runScale(
  _adapters: AdapterName[],
  _progress: Progress,
): Promise<ScaleReport[]> {
  return [];
}
