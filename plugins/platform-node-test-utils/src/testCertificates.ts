import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A throwaway CA and a server certificate it signed, as PEM files and text. */
export interface TestCertificates {
  /** The CA's certificate. */
  ca: string;
  caFile: string;
  /** The server's key and certificate, valid for 127.0.0.1 and localhost. */
  key: string;
  cert: string;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (error: any) {
    if (error.code === 'ENOENT') {
      throw new Error(
        'openssl is not installed: the TLS tests create a throwaway CA and server certificate with it; run `apt-get install openssl`',
      );
    }
    throw new Error(`openssl ${args[0]} failed: ${error.stderr ?? error}`);
  }
}

/**
 * Creates a CA and a server certificate in `dir` with the openssl CLI, at test time, so that
 * no key is ever committed. Each call makes a new CA: one CA does not verify another's
 * certificates.
 */
export function createTestCertificates(dir: string): TestCertificates {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  // prettier-ignore
  openssl(dir, [
    'req', '-x509', ...ec, '-nodes', '-days', '1',
    '-subj', '/CN=Cellport test CA',
    '-keyout', 'ca.key', '-out', 'ca.crt',
  ]);
  // prettier-ignore
  openssl(dir, [
    'req', ...ec, '-nodes',
    '-subj', '/CN=127.0.0.1',
    '-keyout', 'server.key', '-out', 'server.csr',
  ]);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    [
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = serverAuth',
    ].join('\n'),
  );
  // prettier-ignore
  openssl(dir, [
    'x509', '-req', '-in', 'server.csr', '-days', '1', '-set_serial', '1',
    '-CA', 'ca.crt', '-CAkey', 'ca.key', '-extfile', 'server.ext',
    '-out', 'server.crt',
  ]);
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  return {
    ca: read('ca.crt'),
    caFile: path.join(dir, 'ca.crt'),
    key: read('server.key'),
    cert: read('server.crt'),
  };
}
