/// <reference types="node" preserve="true" />
/*
 * The `switchyard-llm/gateway` entry: the gateway as a library (mount its handler, or listen), for code that
 * builds its own server around a router.
 */
export { createGateway, type Gateway, type GatewayOptions, type ListeningAddress, type CloseResult } from './app.js';
export { createLogger } from './logging.js';
