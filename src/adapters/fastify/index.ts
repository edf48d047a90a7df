import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { DEFAULT_WEBHOOK_PATH } from '../../receiver/receiver.js';
import type { ReceiverResponse } from '../../receiver/response.js';
import { INTERNAL_ERROR, notReady, type ClerkSyncSource } from '../source.js';

export type { ClerkSyncSource } from '../source.js';

export interface ClerkSyncFastifyOptions {
  sync: ClerkSyncSource;
  /** Default `/api/webhooks` (under the register() prefix, if any). */
  path?: string;
}

/**
 * `await app.register(clerkSyncFastify, { sync })`. Encapsulated on purpose (not fastify-plugin):
 * the raw-body content-type parser it installs applies to the webhook route only, and the rest of
 * the app keeps Fastify's JSON parsing.
 */
export const clerkSyncFastify: FastifyPluginAsync<ClerkSyncFastifyOptions> = async (instance, options) => {
  let receiver;
  try {
    ({ receiver } = await options.sync);
  } catch (error) {
    throw new Error(notReady(error).body, { cause: error });
  }
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: receiver.maxBodyBytes }, (_request, body, done) => done(null, body));
  instance.setErrorHandler((error: { code?: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return answer(reply, { ...receiver.tooLarge(), headers: { ...receiver.tooLarge().headers, connection: 'close' } });
    instance.log.error(error, 'clerk-sync webhook route failed');
    return answer(reply, INTERNAL_ERROR);
  });
  instance.all(options.path ?? DEFAULT_WEBHOOK_PATH, async (request, reply) => {
    const body = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
    return answer(reply, await receiver.receive({ method: request.method, headers: request.headers, body }));
  });
};

function answer(reply: FastifyReply, r: ReceiverResponse): FastifyReply {
  return reply.code(r.status).headers(r.headers).send(r.body);
}
