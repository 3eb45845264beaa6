import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/config-error.js';
import { SwitchyardError } from '../../src/errors/base.js';
import { RouteUnavailableError, UnknownRouteError, isRouteUnavailableError } from '../../src/errors/router-errors.js';
import { toSdkError } from '../../src/errors/sdk-errors.js';
import { InternalServerError } from 'openai';

describe('instanceof by brand', () => {
  it('holds for an error made by another copy of the package (the build, loaded beside the sources)', async () => {
    const copy = (await import(new URL('../../dist/errors/router-errors.js', import.meta.url).href)) as typeof import('../../src/errors/router-errors.js');
    expect(copy.RouteUnavailableError).not.toBe(RouteUnavailableError);
    const theirs = new copy.RouteUnavailableError('r', 0);
    expect(theirs).toBeInstanceOf(RouteUnavailableError);
    expect(theirs).toBeInstanceOf(SwitchyardError);
    expect(theirs).not.toBeInstanceOf(UnknownRouteError);
    expect(new RouteUnavailableError('r', 0)).toBeInstanceOf(copy.RouteUnavailableError);
  });

  it('holds for the SDK error the library hands back, and not for unrelated values', () => {
    const sdk = toSdkError(new RouteUnavailableError('r', Date.now() + 5_000));
    expect(sdk).toBeInstanceOf(InternalServerError);
    expect(sdk).toBeInstanceOf(RouteUnavailableError);
    expect(isRouteUnavailableError(sdk)).toBe(true);
    expect((sdk as InternalServerError).headers?.get('retry-after')).toBe('5');
    expect(sdk).not.toBeInstanceOf(ConfigError);
    expect(new Error('x')).not.toBeInstanceOf(SwitchyardError);
    expect(null).not.toBeInstanceOf(SwitchyardError);
    expect({ isRouteUnavailableError: 'yes' }).not.toBeInstanceOf(RouteUnavailableError);
  });
});
