package dev.postureagent.interop;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.util.DateUtils;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Java JOSE interop peer for the posture agent's Entity Attestation Tokens
 * (RFC 9711 EAT as an ES256 JWS compact JWT), on Nimbus JOSE+JWT.
 *
 * <p>{@code verify} runs Nimbus' {@link DefaultJWTProcessor} with an ES256-only
 * single-key selector, a {@code typ} verifier and the standard claims verifier
 * (exp/nbf with a 300 s skew, as protocol v1 allows, required exp and iat, exact eat_nonce), plus an
 * iat-not-in-the-future check that Nimbus does not make by itself.
 * See ../README.md for the command-line contract shared with the other peers.
 *
 * <p>Exit codes: 0 valid, 1 invalid token (one-line reason on stderr), 2 usage/IO.
 */
public final class Peer {

    static final String WANT_TYP = "eat+jwt";
    static final int LEEWAY_SECONDS = 300;
    static final String EAR_PROFILE = "tag:github.com,2023:veraison/ear";

    private static final String USAGE = "usage: peer verify --jwk JWK_FILE --token TOKEN_FILE [--nonce NONCE] [--check-kid]"
            + " | peer verify-raw --jwk JWK_FILE --token TOKEN_FILE"
            + " | peer verify-ear --jwks JWKS_FILE --token TOKEN_FILE [--jkt THUMBPRINT] [--sub DEVICE_ID]"
            + " | peer sign --claims CLAIMS_FILE --out-token TOKEN_FILE --out-jwk JWK_FILE";

    /** Bad command line or unreadable/malformed input (exit 2). */
    static final class UsageException extends Exception {
        UsageException(String msg) {
            super(msg);
        }
    }

    /** The token does not verify (exit 1). */
    static final class InvalidException extends Exception {
        InvalidException(String msg) {
            super(msg);
        }
    }

    private Peer() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            byte[] result = dispatch(args);
            if (result != null) {
                out.writeBytes(result);
            }
            out.flush();
            return 0;
        } catch (InvalidException e) {
            err.println("invalid: " + oneLine(e.getMessage()));
            return 1;
        } catch (UsageException e) {
            err.println("error: " + oneLine(e.getMessage()));
            return 2;
        } catch (RuntimeException | JOSEException e) {
            err.println("error: internal: " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()));
            return 2;
        }
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** Parses {@code --name value} options (and the {@code --check-kid} switch). */
    static Map<String, String> options(String cmd, String[] args, Set<String> allowed, Set<String> required)
            throws UsageException {
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String name;
            String value;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else if (a.startsWith("--")) {
                name = a.substring(2);
                value = null;
            } else {
                throw new UsageException(cmd + ": unexpected argument " + a);
            }
            if (!allowed.contains(name)) {
                throw new UsageException(cmd + ": unknown option --" + name);
            }
            if (name.equals("check-kid")) {
                opts.put(name, "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException(cmd + ": option --" + name + " needs a value");
                }
                value = args[++i];
            }
            opts.put(name, value);
        }
        for (String r : required) {
            if (!opts.containsKey(r)) {
                throw new UsageException(cmd + ": missing --" + r + "; " + USAGE);
            }
        }
        return opts;
    }

    static byte[] dispatch(String[] args) throws UsageException, InvalidException, JOSEException {
        if (args.length == 0) {
            throw new UsageException("no command given; " + USAGE);
        }
        String cmd = args[0];
        switch (cmd) {
            case "verify": {
                Map<String, String> o = options(cmd, args, Set.of("jwk", "token", "nonce", "check-kid"), Set.of("jwk", "token"));
                ECKey key = readPublicJWK(o.get("jwk"));
                String token = readToken(o.get("token"));
                String payload = verifyEAT(key, token, o.get("nonce"), o.containsKey("check-kid"));
                return (payload + "\n").getBytes(StandardCharsets.UTF_8);
            }
            case "verify-raw": {
                Map<String, String> o = options(cmd, args, Set.of("jwk", "token"), Set.of("jwk", "token"));
                ECKey key = readPublicJWK(o.get("jwk"));
                String token = readToken(o.get("token"));
                return verifyRaw(key, token);
            }
            case "verify-ear": {
                Map<String, String> o = options(cmd, args, Set.of("jwks", "token", "jkt", "sub"), Set.of("jwks", "token"));
                JWKSet jwks;
                try {
                    jwks = JWKSet.parse(readFile(o.get("jwks"), "JWK set"));
                } catch (ParseException | RuntimeException e) {
                    throw new UsageException("cannot parse JWK set " + o.get("jwks") + ": " + e.getMessage());
                }
                String token = readToken(o.get("token"));
                String payload = verifyEAR(jwks, token, o.get("jkt"), o.get("sub"));
                return (payload + "\n").getBytes(StandardCharsets.UTF_8);
            }
            case "sign": {
                Map<String, String> o = options(cmd, args, Set.of("claims", "out-token", "out-jwk"),
                        Set.of("claims", "out-token", "out-jwk"));
                sign(o.get("claims"), o.get("out-token"), o.get("out-jwk"));
                return null;
            }
            default:
                throw new UsageException("unknown command " + cmd + "; " + USAGE);
        }
    }

    static String readFile(String path, String what) throws UsageException {
        try {
            return Files.readString(Path.of(path), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new UsageException("cannot read " + what + " file " + path + ": " + e);
        }
    }

    /** An EC P-256 public key from a JWK file; private members, if present, are ignored. */
    static ECKey readPublicJWK(String path) throws UsageException {
        String text = readFile(path, "JWK");
        JWK jwk;
        try {
            jwk = JWK.parse(text);
        } catch (ParseException | RuntimeException e) {
            throw new UsageException("cannot parse JWK " + path + ": " + e.getMessage());
        }
        if (!(jwk instanceof ECKey) || !Curve.P_256.equals(((ECKey) jwk).getCurve())) {
            throw new UsageException("JWK " + path + " is not an EC P-256 key");
        }
        return ((ECKey) jwk).toPublicJWK();
    }

    static String readToken(String path) throws UsageException {
        return readFile(path, "token").strip();
    }

    /** Checks only the ES256 signature of a compact JWS and returns its payload bytes. */
    static byte[] verifyRaw(ECKey key, String token) throws InvalidException, JOSEException {
        JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException e) {
            throw new InvalidException(e.getMessage());
        }
        if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
            throw new InvalidException("alg " + jws.getHeader().getAlgorithm() + " is not ES256");
        }
        if (!jws.verify(new ECDSAVerifier(key))) {
            throw new InvalidException("ES256 signature does not verify");
        }
        return jws.getPayload().toBytes();
    }

    /** The standard claims checks plus "iat not in the future", which Nimbus leaves out. */
    static final class EatClaimsVerifier extends DefaultJWTClaimsVerifier<SecurityContext> {
        EatClaimsVerifier(JWTClaimsSet exactMatch) {
            super(exactMatch, Set.of("exp", "iat"));
            setMaxClockSkew(LEEWAY_SECONDS);
        }

        @Override
        public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
            super.verify(claims, context);
            Date exp = claims.getExpirationTime();
            Date iat = claims.getIssueTime();
            if (exp == null || iat == null) {
                throw new BadJWTException("JWT exp and iat must be present and not null");
            }
            if (!DateUtils.isBefore(iat, new Date(), getMaxClockSkew())) {
                throw new BadJWTException("JWT issued in the future (iat)");
            }
        }
    }

    /** Verifies an EAT JWT and returns the verified payload text. */
    static String verifyEAT(ECKey key, String token, String nonce, boolean checkKid)
            throws InvalidException, JOSEException {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new SingleKeyJWSKeySelector<>(JWSAlgorithm.ES256, key.toECPublicKey()));
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType(WANT_TYP)));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (nonce != null) {
            exact.claim("eat_nonce", nonce);
        }
        processor.setJWTClaimsSetVerifier(new EatClaimsVerifier(exact.build()));

        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
            processor.process(jwt, null);
        } catch (ParseException | BadJOSEException e) {
            throw new InvalidException(e.getMessage());
        }
        // Nimbus compares typ case-insensitively (media types); the contract wants it exactly.
        JOSEObjectType typ = jwt.getHeader().getType();
        if (typ == null || !WANT_TYP.equals(typ.getType())) {
            throw new InvalidException("header typ is " + typ + ", want " + WANT_TYP);
        }
        if (checkKid) {
            String want = key.computeThumbprint().toString();
            String kid = ((JWSHeader) jwt.getHeader()).getKeyID();
            if (!want.equals(kid)) {
                throw new InvalidException("header kid " + kid + " is not the RFC 7638 thumbprint " + want + " of the JWK");
            }
        }
        // The signature covered exactly these bytes: print them, not a re-encoding.
        return ((JOSEObject) jwt).getPayload().toString();
    }

    /**
     * Verifies a collector's attestation result (an EAR JWT) with the key of the JWK set its
     * header kid names, as a relying party would; returns the verified payload text.
     */
    static String verifyEAR(JWKSet jwks, String token, String jkt, String sub)
            throws InvalidException, JOSEException {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(jwks)));
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder().claim("eat_profile", EAR_PROFILE);
        if (sub != null) {
            exact.subject(sub);
        }
        processor.setJWTClaimsSetVerifier(new EatClaimsVerifier(exact.build()));
        JWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = JWTParser.parse(token);
            claims = processor.process(jwt, null);
        } catch (ParseException | BadJOSEException e) {
            throw new InvalidException(e.getMessage());
        }
        try {
            Map<String, Object> submods = claims.getJSONObjectClaim("submods");
            Object posture = submods == null ? null : submods.get("posture");
            Object status = posture instanceof Map ? ((Map<?, ?>) posture).get("ear.status") : null;
            if (!Set.of("none", "affirming", "warning", "contraindicated").contains(status)) {
                throw new InvalidException("submods.posture ear.status is " + status);
            }
            if (jkt != null) {
                Map<String, Object> cnf = claims.getJSONObjectClaim("cnf");
                if (cnf == null || !jkt.equals(cnf.get("jkt"))) {
                    throw new InvalidException("cnf.jkt is not the expected device key thumbprint");
                }
            }
        } catch (ParseException e) {
            throw new InvalidException(e.getMessage());
        }
        return ((JOSEObject) jwt).getPayload().toString();
    }

    static void sign(String claimsPath, String outToken, String outJwk) throws UsageException, JOSEException {
        Map<String, Object> claims;
        try {
            claims = JSONObjectUtils.parse(readFile(claimsPath, "claims"));
        } catch (ParseException e) {
            throw new UsageException("claims file " + claimsPath + " is not a JSON object: " + e.getMessage());
        }
        ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        String kid = key.computeThumbprint().toString();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType(WANT_TYP))
                .keyID(kid)
                .build();
        // Payload(Map) would copy into a HashMap and shuffle the members; JSONObjectUtils.parse
        // keeps them in file order, so serialise that map (compact JSON, same values).
        JWSObject jws = new JWSObject(header, new Payload(JSONObjectUtils.toJSONString(claims)));
        jws.sign(new ECDSASigner(key));
        ECKey publicJwk = new ECKey.Builder(key.toPublicJWK()).keyID(kid).build();
        if (publicJwk.isPrivate()) {
            throw new IllegalStateException("refusing to write a private JWK");
        }
        try {
            Files.writeString(Path.of(outToken), jws.serialize(), StandardCharsets.US_ASCII);
            Files.writeString(Path.of(outJwk), publicJwk.toJSONString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot write output: " + e);
        }
    }
}
