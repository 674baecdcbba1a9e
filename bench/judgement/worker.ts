/** A worker thread of the judgement benchmark: runs a slice of a scenario's runs and posts the tallies. */
import { parentPort } from 'node:worker_threads';
import { SCENARIOS } from './scenarios';
import { runScenario } from './runner';

export interface Task {
  scenario: string;
  from: number;
  to: number;
}

parentPort?.on('message', (task: Task) => {
  const s = SCENARIOS.find((x) => x.name === task.scenario);
  if (!s) throw new Error(`unknown scenario ${task.scenario}`);
  parentPort?.postMessage({ task, tallies: runScenario(s, task.from, task.to) });
});
