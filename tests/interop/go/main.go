// Command go-peer is the Go JOSE interop peer for the posture agent's Entity
// Attestation Tokens (RFC 9711 EAT as an ES256 JWS compact JWT).
//
// It uses github.com/go-jose/go-jose/v4 for everything JOSE: parsing with an
// ES256-only algorithm list, signature verification, the standard time-claim
// validation, signing and the RFC 7638 thumbprint. See ../README.md for the
// command-line contract shared with the Python and Java peers.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	exitValid   = 0
	exitInvalid = 1
	exitUsage   = 2

	wantTyp = "eat+jwt"
	leeway  = 300 * time.Second

	earTyp     = "JWT"
	earProfile = "tag:github.com,2023:veraison/ear"
)

// usageError is a bad command line or an unreadable/malformed input file (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// invalid is a token that does not verify (exit 1).
type invalid struct{ msg string }

func (e invalid) Error() string { return e.msg }

func invalidf(format string, a ...any) error { return invalid{fmt.Sprintf(format, a...)} }

const usageText = `usage:
  peer verify     --jwk JWK_FILE --token TOKEN_FILE [--nonce NONCE] [--check-kid]
  peer verify-raw --jwk JWK_FILE --token TOKEN_FILE
  peer verify-ear --jwks JWKS_FILE --token TOKEN_FILE [--jkt THUMBPRINT] [--sub DEVICE_ID]
  peer sign       --claims CLAIMS_FILE --out-token TOKEN_FILE --out-jwk JWK_FILE`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout)
	if err == nil {
		return exitValid
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	var inv invalid
	if errors.As(err, &inv) {
		fmt.Fprintf(stderr, "invalid: %s\n", msg)
		return exitInvalid
	}
	fmt.Fprintf(stderr, "error: %s\n", msg)
	return exitUsage
}

func dispatch(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("no command given; %s", oneLine(usageText))
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch cmd {
	case "verify", "verify-raw":
		jwkPath := fs.String("jwk", "", "")
		tokenPath := fs.String("token", "", "")
		var nonce *string
		var checkKid *bool
		if cmd == "verify" {
			nonce = fs.String("nonce", "", "")
			checkKid = fs.Bool("check-kid", false, "")
		}
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if *jwkPath == "" || *tokenPath == "" {
			return usagef("%s needs --jwk and --token", cmd)
		}
		key, err := readPublicJWK(*jwkPath)
		if err != nil {
			return err
		}
		token, err := readToken(*tokenPath)
		if err != nil {
			return err
		}
		if cmd == "verify-raw" {
			payload, err := verifyRaw(key, token)
			if err != nil {
				return err
			}
			_, _ = stdout.Write(payload)
			return nil
		}
		var wantNonce *string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "nonce" {
				wantNonce = nonce
			}
		})
		payload, err := verifyEAT(key, token, wantNonce, *checkKid, time.Now())
		if err != nil {
			return err
		}
		_, _ = stdout.Write(payload)
		_, _ = stdout.Write([]byte("\n"))
		return nil
	case "verify-ear":
		jwksPath := fs.String("jwks", "", "")
		tokenPath := fs.String("token", "", "")
		jkt := fs.String("jkt", "", "")
		sub := fs.String("sub", "", "")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if *jwksPath == "" || *tokenPath == "" {
			return usagef("verify-ear needs --jwks and --token")
		}
		data, err := os.ReadFile(*jwksPath)
		if err != nil {
			return usagef("cannot read JWK set file: %v", err)
		}
		var jwks jose.JSONWebKeySet
		if err := json.Unmarshal(data, &jwks); err != nil {
			return usagef("cannot parse JWK set %s: %v", *jwksPath, err)
		}
		token, err := readToken(*tokenPath)
		if err != nil {
			return err
		}
		payload, err := verifyEAR(&jwks, token, *jkt, *sub, time.Now())
		if err != nil {
			return err
		}
		_, _ = stdout.Write(payload)
		_, _ = stdout.Write([]byte("\n"))
		return nil
	case "sign":
		claimsPath := fs.String("claims", "", "")
		outToken := fs.String("out-token", "", "")
		outJWK := fs.String("out-jwk", "", "")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if *claimsPath == "" || *outToken == "" || *outJWK == "" {
			return usagef("sign needs --claims, --out-token and --out-jwk")
		}
		return sign(*claimsPath, *outToken, *outJWK)
	case "-h", "--help", "help":
		return usagef("%s", oneLine(usageText))
	default:
		return usagef("unknown command %q; %s", cmd, oneLine(usageText))
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// readPublicJWK reads an EC P-256 JWK; private members, if present, are ignored
// (only the public key is used).
func readPublicJWK(path string) (*jose.JSONWebKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("cannot read JWK file: %v", err)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, usagef("cannot parse JWK %s: %v", path, err)
	}
	pub := jwk.Public()
	ecPub, ok := pub.Key.(*ecdsa.PublicKey)
	if !ok || ecPub.Curve != elliptic.P256() {
		return nil, usagef("JWK %s is not an EC P-256 key", path)
	}
	return &pub, nil
}

func readToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("cannot read token file: %v", err)
	}
	return strings.TrimSpace(string(data)), nil
}

var es256Only = []jose.SignatureAlgorithm{jose.ES256}

// verifyRaw checks only the ES256 signature of a compact JWS and returns its payload.
func verifyRaw(key *jose.JSONWebKey, token string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(token, es256Only)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, invalidf("signature verification failed: %v", err)
	}
	return payload, nil
}

// verifyEAT verifies an EAT JWT and returns the verified payload bytes.
func verifyEAT(key *jose.JSONWebKey, token string, nonce *string, checkKid bool, now time.Time) ([]byte, error) {
	tok, err := jwt.ParseSigned(token, es256Only)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if len(tok.Headers) != 1 {
		return nil, invalidf("expected exactly one signature")
	}
	hdr := tok.Headers[0]
	var std jwt.Claims
	var raw json.RawMessage
	var members map[string]json.RawMessage
	// Claims verifies the signature with the key before decoding anything.
	if err := tok.Claims(key.Key, &raw, &members, &std); err != nil {
		return nil, invalidf("verification failed: %v", err)
	}
	rawTyp, present := hdr.ExtraHeaders[jose.HeaderType]
	if typ, _ := rawTyp.(string); typ != wantTyp {
		if !present {
			return nil, invalidf("header typ is missing, want %q", wantTyp)
		}
		return nil, invalidf("header typ is %v, want %q", rawTyp, wantTyp)
	}
	if checkKid {
		tp, err := key.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, usagef("cannot compute JWK thumbprint: %v", err)
		}
		if want := base64.RawURLEncoding.EncodeToString(tp); hdr.KeyID != want {
			return nil, invalidf("header kid %q is not the RFC 7638 thumbprint %q of the JWK", hdr.KeyID, want)
		}
	}
	if std.Expiry == nil {
		return nil, invalidf("claim exp is missing")
	}
	if std.IssuedAt == nil {
		return nil, invalidf("claim iat is missing")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: now}, leeway); err != nil {
		return nil, invalidf("%v", err)
	}
	if nonce != nil {
		var got string
		rawNonce, ok := members["eat_nonce"]
		if !ok {
			return nil, invalidf("claim eat_nonce is missing")
		}
		if err := json.Unmarshal(rawNonce, &got); err != nil {
			return nil, invalidf("claim eat_nonce is not a string")
		}
		if got != *nonce {
			return nil, invalidf("eat_nonce does not match the expected nonce")
		}
	}
	return raw, nil
}

// verifyEAR verifies a collector's attestation result (an EAR JWT) with the
// key of the JWK set that its header kid names, as a relying party would,
// and returns the verified payload bytes. Empty jkt or sub are not checked.
func verifyEAR(jwks *jose.JSONWebKeySet, token, jkt, sub string, now time.Time) ([]byte, error) {
	tok, err := jwt.ParseSigned(token, es256Only)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if len(tok.Headers) != 1 {
		return nil, invalidf("expected exactly one signature")
	}
	hdr := tok.Headers[0]
	keys := jwks.Key(hdr.KeyID)
	if len(keys) != 1 {
		return nil, invalidf("no single key in the JWK set has kid %q", hdr.KeyID)
	}
	ecPub, ok := keys[0].Key.(*ecdsa.PublicKey)
	if !ok || ecPub.Curve != elliptic.P256() {
		return nil, invalidf("the JWK set's key %q is not an EC P-256 public key", hdr.KeyID)
	}
	var std jwt.Claims
	var raw json.RawMessage
	var ear struct {
		Profile string `json:"eat_profile"`
		Cnf     struct {
			Jkt string `json:"jkt"`
		} `json:"cnf"`
		Submods map[string]map[string]json.RawMessage `json:"submods"`
	}
	if err := tok.Claims(ecPub, &raw, &ear, &std); err != nil {
		return nil, invalidf("verification failed: %v", err)
	}
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != earTyp {
		return nil, invalidf("header typ is %v, want %q", hdr.ExtraHeaders[jose.HeaderType], earTyp)
	}
	if std.Expiry == nil || std.IssuedAt == nil {
		return nil, invalidf("claims exp and iat are required")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: now, Subject: sub}, leeway); err != nil {
		return nil, invalidf("%v", err)
	}
	if ear.Profile != earProfile {
		return nil, invalidf("eat_profile is %q, want %q", ear.Profile, earProfile)
	}
	var status string
	if err := json.Unmarshal(ear.Submods["posture"]["ear.status"], &status); err != nil {
		return nil, invalidf("submods.posture ear.status is missing or not a string")
	}
	switch status {
	case "none", "affirming", "warning", "contraindicated":
	default:
		return nil, invalidf("submods.posture ear.status is %q", status)
	}
	if jkt != "" && ear.Cnf.Jkt != jkt {
		return nil, invalidf("cnf.jkt is not the expected device key thumbprint")
	}
	return raw, nil
}

func sign(claimsPath, outToken, outJWK string) error {
	data, err := os.ReadFile(claimsPath)
	if err != nil {
		return usagef("cannot read claims file: %v", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return usagef("claims file %s is not a JSON object", claimsPath)
	}
	var payload bytes.Buffer
	if err := json.Compact(&payload, data); err != nil {
		return usagef("claims file %s: %v", claimsPath, err)
	}

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating key: %w", err)
	}
	pubJWK := jose.JSONWebKey{Key: &priv.PublicKey}
	tp, err := pubJWK.Thumbprint(crypto.SHA256)
	if err != nil {
		return fmt.Errorf("thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	pubJWK.KeyID = kid

	opts := (&jose.SignerOptions{}).WithType(wantTyp).WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, opts)
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	jws, err := signer.Sign(payload.Bytes())
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		return fmt.Errorf("serializing: %w", err)
	}
	jwkJSON, err := pubJWK.MarshalJSON()
	if err != nil {
		return fmt.Errorf("JWK: %w", err)
	}
	if !pubJWK.IsPublic() {
		return errors.New("refusing to write a non-public JWK")
	}
	if err := os.WriteFile(outToken, []byte(compact), 0o644); err != nil {
		return usagef("cannot write token: %v", err)
	}
	if err := os.WriteFile(outJWK, jwkJSON, 0o644); err != nil {
		return usagef("cannot write JWK: %v", err)
	}
	return nil
}
