import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { newHostKey } from '../../../lab/host-key';

describe('lab host keys', () => {
  // ssh2's generator writes a key its own parser refuses about once in 250 tries; a lab starts
  // dozens of servers per test run, so every key it uses must load.
  it('are always keys ssh2 can load', () => {
    for (let i = 0; i < 1500; i++) {
      const key = newHostKey();
      expect(ssh2.utils.parseKey(key.private)).not.toBeInstanceOf(Error);
    }
  });
});
