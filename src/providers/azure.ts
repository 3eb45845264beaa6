import type { ProviderConfig } from '../config/schema.js';

/**
 * Where an Azure OpenAI endpoint's chat calls go, and how they authenticate. Classic (apiVersion set):
 * `{baseURL}/openai/deployments/{deployment}/chat/completions?api-version=…`, one per deployment (the
 * endpoint's `model`). v1 (no apiVersion): `{baseURL}/openai/v1/chat/completions`, the deployment in the
 * body's `model`. The key goes in `api-key`, never as a Bearer token. The wire format is OpenAI's otherwise.
 */
export function azureTarget(p: ProviderConfig, model: string): { baseURL: string; query?: string; headers: Record<string, string> } {
  const root = p.baseURL.replace(/\/+$/, '');
  const headers = { ...p.headers, ...(p.apiKey ? { 'api-key': p.apiKey } : {}) };
  if (p.apiVersion === undefined) return { baseURL: `${root}/openai/v1`, headers };
  return { baseURL: `${root}/openai/deployments/${encodeURIComponent(model)}`, query: `api-version=${encodeURIComponent(p.apiVersion)}`, headers };
}

/** The key of the transport an azure endpoint shares: per deployment for classic, per provider for v1. */
export const azureTransportKey = (providerId: string, p: ProviderConfig, model: string) =>
  p.apiVersion === undefined ? providerId : `${providerId}\u0000${model}`;
