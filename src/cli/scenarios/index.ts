export { BUILTIN_SCENARIOS } from './builtin.js';
export { buildScenario } from './build.js';
export type { BuildOptions, FieldOverride, ScenarioEvent } from './build.js';
export { loadScenarioFile, parseScenarios, ScenarioError, SCENARIO_NAME } from './scenario.js';
export type { Scenario, ScenarioStep } from './scenario.js';
