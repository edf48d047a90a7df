export { runDoctor } from './run.js';
export type { CheckId, CheckResult, CheckStatus, DoctorOptions, DoctorReport } from './run.js';
export { formatReport } from './report.js';
export { DOCTOR_EVENT_TYPE } from './test-event.js';
