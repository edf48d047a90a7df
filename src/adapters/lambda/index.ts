import type { ClerkSync, ClerkSyncOptions } from '../../clerk-sync.js';
import type { ReceiverResponse } from '../../receiver/response.js';
import { createLogger, type LogLevel } from '../../log.js';
import { sharedInstance, whenAwaited } from '../instance.js';
import { receiverOf } from '../source.js';

/** What clerk-sync reads of an API Gateway (REST or HTTP API) or Lambda function URL event. */
export interface LambdaHttpEvent {
  /** REST API (payload 1.0). */
  httpMethod?: string;
  /** HTTP API and function URLs (payload 2.0). */
  requestContext?: { http?: { method?: string } };
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface LambdaClerkSyncOptions<AppDatabase = {}> extends ClerkSyncOptions<AppDatabase> {
  /** Instances are shared per process under this key (default "default"). */
  key?: string;
}

/**
 * An AWS Lambda handler for the webhook endpoint, behind API Gateway or a function URL:
 * `export const handler = clerkSyncLambda({ database: process.env.DATABASE_URL })`. The instance
 * is created on the first invocation and kept while the execution environment lives. Lambda
 * freezes the function as soon as it answers, so events are processed inline: after the commit,
 * before the answer, within the serverless budget (AWS_LAMBDA_FUNCTION_NAME turns that on).
 */
export function clerkSyncLambda<AppDatabase = {}>(options: LambdaClerkSyncOptions<AppDatabase> = {}): ((event: LambdaHttpEvent) => Promise<LambdaHttpResult>) & { ready(): Promise<ClerkSync<AppDatabase>> } {
  const { key = 'default', ...rest } = options;
  const logger = rest.logger ?? createLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const ready = sharedInstance<AppDatabase>(key, async () => ({ ...rest, logger }), logger);
  const lazy = whenAwaited(ready);
  const handler = async (event: LambdaHttpEvent): Promise<LambdaHttpResult> => {
    const receiver = await receiverOf(lazy);
    if (!('receive' in receiver)) return result(receiver);
    const method = event.requestContext?.http?.method ?? event.httpMethod ?? 'POST';
    // API Gateway keeps the header names as sent; clerk-sync reads them lower-case, as node does.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    return result(await receiver.receive({ method, headers, body }));
  };
  return Object.assign(handler, { ready });
}

function result(r: ReceiverResponse): LambdaHttpResult {
  return { statusCode: r.status, headers: r.headers, body: r.body };
}
