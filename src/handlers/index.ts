export { EventHandlers } from './registry.js';
export { HandlerTimeoutError } from './errors.js';
export { DEFAULT_HANDLER_TIMEOUT_MS } from './handling.js';
export type { SyncOption, EventTypePattern } from './sync-filter.js';
export type { EventHandler, EventOfType, HandlerContext, HandlerMap } from './types.js';
export { PermanentError } from '../processing.js';
