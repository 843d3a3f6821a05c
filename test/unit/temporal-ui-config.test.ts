import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('ROTATOR_TEMPORAL_UI_URL', () => {
  it('is optional: without it the console gets no Temporal UI', () => {
    expect(loadConfig({}).temporalUi).toBeNull();
  });

  it('gives the UI and the namespace, without a trailing slash', () => {
    expect(loadConfig({ ROTATOR_TEMPORAL_UI_URL: 'https://temporal.example.com/ui/', TEMPORAL_NAMESPACE: 'prod' }).temporalUi).toEqual({
      url: 'https://temporal.example.com/ui',
      namespace: 'prod',
    });
  });

  it.each(['not a url', 'ftp://temporal.example.com', 'javascript:alert(1)'])('refuses %s, naming the variable and the rule', (value) => {
    expect(() => loadConfig({ ROTATOR_TEMPORAL_UI_URL: value })).toThrow('ROTATOR_TEMPORAL_UI_URL: must be an http(s) URL');
  });
});
