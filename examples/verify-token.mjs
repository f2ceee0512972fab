// Verify a Tessera login token with a stock JWT library (jose), the way a relying party does —
// without calling Tessera, and with the algorithm pinned.
//
//   HS256 realm (the realm's jwtSecret, readable with a REALMS_MANAGE admin key):
//     JWT_SECRET=<jwtSecret> ISSUER=<realm issuer> node examples/verify-token.mjs <token>
//   RS256 realm (only public data: the JWKS URL is <issuer>/.well-known/jwks.json):
//     ISSUER=<realm issuer> node examples/verify-token.mjs <token>
//
// Outside this repository: npm install jose.
// This checks the signature and the claims only. It cannot know that a managed session was
// terminated before the token's `exp`: keep accessTokenSeconds short, subscribe to
// sessionTerminated, or ask Tessera (`verifyToken`) where that matters.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const token = process.argv[2] ?? process.env.TOKEN;
const issuer = process.env.ISSUER;
if (!token || !issuer) {
  console.error('usage: [JWT_SECRET=…] ISSUER=<realm issuer> node examples/verify-token.mjs <token>');
  process.exit(2);
}

const options = { issuer, clockTolerance: 30 };
try {
  let result;
  if (process.env.JWT_SECRET) {
    // HS256: the secret's UTF-8 bytes are the HMAC key.
    const key = new TextEncoder().encode(process.env.JWT_SECRET);
    result = await jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
  } else {
    // RS256: keys by `kid` from the realm's JWKS, cached and re-fetched on an unknown kid (rotation).
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    result = await jwtVerify(token, jwks, { ...options, algorithms: ['RS256'] });
  }
  console.log(JSON.stringify({ valid: true, header: result.protectedHeader, claims: result.payload }, null, 2));
} catch (error) {
  console.log(JSON.stringify({ valid: false, code: error.code ?? 'ERROR', message: error.message }));
  process.exitCode = 1;
}
