/**
 * What an endpoint can be asked to do: the OpenAI API operations a route can carry. An endpoint declares
 * the ones it serves (`endpoints.<id>.operations`); a route skips the others for a request of that kind.
 */
export type Operation = 'chat' | 'embeddings' | 'responses';

export const OPERATIONS: readonly Operation[] = ['chat', 'embeddings', 'responses'];

/**
 * What an endpoint serves when its config does not say, by its provider's API type: the OpenAI API (and
 * Azure OpenAI) has all three; other APIs are reached through chat only.
 */
export function defaultOperations(providerType: string | undefined): readonly Operation[] {
  return providerType === undefined || providerType === 'openai' || providerType === 'azure' ? OPERATIONS : ['chat'];
}

/** `gen_ai.operation.name` of an operation (OpenTelemetry GenAI conventions: the Responses API is a chat). */
export function genAiOperationName(op: Operation | undefined): string {
  return op === 'embeddings' ? 'embeddings' : 'chat';
}
