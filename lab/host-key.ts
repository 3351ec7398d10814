/** Host keys for lab servers, generated at start and never stored. */
import ssh2 from 'ssh2';

const { utils } = ssh2;

/** An Ed25519 key pair in OpenSSH format. */
export interface HostKeyPair {
  private: string;
  public: string;
}

/**
 * A fresh Ed25519 host key that ssh2 can load. About 1 in 250 keys ssh2's own generator writes
 * are refused by its parser ("Malformed OpenSSH private key"), so each is checked before use.
 */
export function newHostKey(): HostKeyPair {
  for (let attempt = 0; attempt < 20; attempt++) {
    const keys = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(keys.private) instanceof Error)) return keys;
  }
  throw new Error('Could not generate a usable Ed25519 host key.');
}
