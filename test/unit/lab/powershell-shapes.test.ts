import { describe, expect, it } from 'vitest';
import {
  bootstrapFailure,
  bootstrapSuccess,
  pipelineOutput,
  psDate,
  toPsJson,
} from '../../../lab/powershell-shapes';

describe('ConvertTo-Json -Compress as Windows PowerShell 5.1 prints it', () => {
  it('prints dates as \\/Date(ms)\\/', () => {
    expect(toPsJson({ d: psDate(1764427812345) })).toBe('{"d":"\\/Date(1764427812345)\\/"}');
  });

  it('escapes the characters JavaScriptSerializer escapes', () => {
    expect(toPsJson('it\'s <b> & "q"\n')).toBe('"it\\u0027s \\u003cb\\u003e \\u0026 \\"q\\"\\n"');
    expect(JSON.parse(toPsJson('it\'s <b> & "q"\n'))).toBe('it\'s <b> & "q"\n');
  });

  it('collapses pipeline output like 5.1', () => {
    expect(pipelineOutput([])).toBeNull();
    expect(pipelineOutput([{ a: 1 }])).toEqual({ a: 1 });
    expect(pipelineOutput([1, 2])).toEqual([1, 2]);
  });

  it('wraps results as the bootstrap does', () => {
    expect(bootstrapSuccess({ a: [1], b: null })).toBe('{"ok":true,"data":{"a":[1],"b":null}}\r\n');
    expect(JSON.parse(bootstrapFailure('x', 'NotSpecified', 'RuntimeException'))).toEqual({
      ok: false,
      error: { message: 'x', category: 'NotSpecified', id: 'RuntimeException' },
    });
  });
});
