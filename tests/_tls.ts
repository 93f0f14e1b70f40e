/** A throwaway certificate authority and a server certificate for 127.0.0.1, made with openssl. */

const SCRIPT = `set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \\
  -subj /CN=edgews-test-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \\
  -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \\
  -extfile ext.cnf -out server.pem 2>/dev/null
cat ca.pem; echo '-----SPLIT-----'; cat server.pem; echo '-----SPLIT-----'; cat server.key
`;

/** PEM strings: the CA to trust, and the server's certificate and key. */
export interface TestCertificates {
  ca: string;
  cert: string;
  key: string;
}

/** Generate fresh certificates (needs the `openssl` command). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: ["-c", SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  }
  const [ca, cert, key] = new TextDecoder().decode(stdout).split("-----SPLIT-----\n");
  if (!ca || !cert || !key) throw new Error("openssl printed no certificates");
  return { ca, cert, key };
}
