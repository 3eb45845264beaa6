import { extname } from 'node:path';
import { parseDocument, type ErrorCode, type YAMLError } from 'yaml';
import type { ConfigProblem } from '../errors/config-error.js';

/*
 * File text -> plain tree. Syntax errors are described from the parser's error code and position only:
 * the parsers' own messages quote the offending line or scalar, which may hold a secret.
 */

export type SourceResult = { ok: true; tree: unknown } | { ok: false; problems: ConfigProblem[] };

const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  BAD_INDENT: 'bad indentation',
  BLOCK_AS_IMPLICIT_KEY: 'nested mapping where a value was expected (check the indentation)',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line (check the indentation)',
  DUPLICATE_KEY: 'duplicate key',
  MISSING_CHAR: 'missing closing quote, bracket or separator',
  TAB_AS_INDENT: 'tabs are not allowed as indentation',
  MULTIPLE_DOCS: 'more than one document (---) in the file',
  UNEXPECTED_TOKEN: 'unexpected token',
  BAD_DQ_ESCAPE: 'bad escape sequence in a double-quoted string',
  BAD_SCALAR_START: 'a plain value cannot start with this character (quote it)',
  TAG_RESOLVE_FAILED: 'unquoted string, comment or unknown tag',
  KEY_OVER_1024_CHARS: 'key longer than 1024 characters',
};

const describe = (code: ErrorCode) => DESCRIPTIONS[code] ?? code.toLowerCase().replaceAll('_', ' ');

const at = (e: YAMLError) => (e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '');

export function parseSource(text: string, file: string): SourceResult {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return { ok: true, tree: JSON.parse(text) };
    } catch (e) {
      const positioned = jsonPositioned(e, text, file);
      if (positioned) return { ok: false, problems: [positioned] };
      // "Unexpected token" messages quote the text and give no position: the YAML parser in JSON mode finds
      // most of those mistakes with one.
      const located = syntaxProblems(parseDocument(text, { schema: 'json' }).errors, file, 'json');
      return { ok: false, problems: located.length ? located : [{ path: file, message: 'json syntax error' }] };
    }
  }
  const doc = parseDocument(text);
  if (doc.errors.length) return { ok: false, problems: syntaxProblems(doc.errors, file, 'yaml', text) };
  try {
    return { ok: true, tree: doc.toJS({ maxAliasCount: 100 }) };
  } catch {
    // toJS throws on an alias whose anchor is missing, or on an alias bomb.
    return { ok: false, problems: [{ path: file, message: 'yaml syntax error: unresolved or excessive alias' }] };
  }
}

/**
 * JSON.parse's own verdict where it gives a position (a trailing comma, a comment, a missing bracket: mistakes
 * the YAML parser accepts), as line and column. Only its fixed wording is kept, never text from the file.
 */
function jsonPositioned(e: unknown, text: string, file: string): ConfigProblem | undefined {
  const message = e instanceof Error ? e.message : '';
  const m = /^([^"]*) in JSON at position (\d+)/.exec(message);
  const end = message === 'Unexpected end of JSON input';
  if (!m && !end) return undefined;
  const pos = m ? Number(m[2]) : text.length;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  const what = m ? m[1]!.charAt(0).toLowerCase() + m[1]!.slice(1) : 'unexpected end of input';
  return { path: file, message: `json syntax error at line ${line}, column ${column}: ${what}` };
}

// `{` and `}` are YAML flow indicators, so an unquoted `${VAR}` inside `[ ]` or `{ }` is a syntax error.
const FLOW_HINT = ' (inside [ ] or { }, quote references: "${VAR}")';

/** One problem per line: the first error on a line usually causes the others. */
function syntaxProblems(errors: readonly YAMLError[], file: string, kind: 'yaml' | 'json', text = ''): ConfigProblem[] {
  const lines = text.split('\n');
  const seen = new Set<number | undefined>();
  return errors.flatMap((e) => {
    const line = e.linePos?.[0].line;
    if (seen.has(line)) return [];
    seen.add(line);
    const hint = line !== undefined && lines[line - 1]?.includes('${') ? FLOW_HINT : '';
    return [{ path: file, message: `${kind} syntax error${at(e)}: ${describe(e.code)}${hint}` }];
  });
}
