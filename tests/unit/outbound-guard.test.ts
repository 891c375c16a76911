import { describe, expect, it } from "vitest";
import { loadEnv } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { addressRefusal, checkEndpointUrl, OutboundRefusedError, parseAllowance } from "@/lib/http/outbound-guard";

/** No allowance: tests never depend on the process's AI_ENDPOINT_ALLOWED_PRIVATE. */
const NONE = { allowed: "" };

describe("addressRefusal", () => {
  it.each([
    ["127.0.0.1", "a loopback address"],
    ["127.255.255.254", "a loopback address"],
    ["::1", "a loopback address"],
    ["10.0.0.1", "a private-network address"],
    ["172.16.0.1", "a private-network address"],
    ["172.31.255.255", "a private-network address"],
    ["192.168.1.1", "a private-network address"],
    ["169.254.169.254", "a link-local address"],
    ["169.254.0.1", "a link-local address"],
    ["fe80::1", "a link-local address"],
    ["100.64.0.1", "a carrier-grade NAT address"],
    ["100.127.255.255", "a carrier-grade NAT address"],
    ["fc00::1", "a unique-local (private) address"],
    ["fd12:3456::1", "a unique-local (private) address"],
    ["0.0.0.0", "the unspecified address"],
    ["0.1.2.3", "the unspecified address"],
    ["::", "the unspecified address"],
    ["255.255.255.255", "the broadcast address"],
    ["224.0.0.1", "a multicast address"],
    ["ff02::1", "a multicast address"],
    ["240.0.0.1", "a reserved or special-purpose address"],
    ["192.0.2.1", "a reserved or special-purpose address"],
    ["198.18.0.1", "a reserved or special-purpose address"],
    ["192.0.0.8", "a reserved or special-purpose address"],
    ["2001:db8::1", "a reserved or special-purpose address"],
    ["fec0::1", "a reserved or special-purpose address"],
    // IPv6 forms that reach an IPv4 address are judged on it.
    ["::ffff:127.0.0.1", "an IPv6 form of 127.0.0.1, a loopback address"],
    ["::ffff:7f00:1", "an IPv6 form of 127.0.0.1, a loopback address"],
    ["::ffff:10.0.0.1", "an IPv6 form of 10.0.0.1, a private-network address"],
    ["::ffff:169.254.169.254", "an IPv6 form of 169.254.169.254, a link-local address"],
    ["::ffff:0:7f00:1", "an IPv6 form of 127.0.0.1, a loopback address"],
    ["64:ff9b::7f00:1", "an IPv6 form of 127.0.0.1, a loopback address"],
    ["64:ff9b::a9fe:a9fe", "an IPv6 form of 169.254.169.254, a link-local address"],
    // 6to4, Teredo and local-use NAT64 are refused whatever they embed.
    ["2002:7f00:1::", "a reserved or special-purpose address"],
    ["2002:5db8:d70e::1", "a reserved or special-purpose address"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "a reserved or special-purpose address"],
    ["64:ff9b:1::a00:1", "a reserved or special-purpose address"],
    // Outside 2000::/3: the deprecated IPv4-compatible form, and unassigned space.
    ["::7f00:1", "an address outside the global unicast range (2000::/3)"],
    ["4000::1", "an address outside the global unicast range (2000::/3)"],
  ])("refuses %s: %s", (address, why) => {
    expect(addressRefusal(address)).toBe(why);
  });

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "11.0.0.1",
    "172.32.0.1",
    "100.128.0.1",
    "169.255.0.1",
    "2606:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:93.184.215.14",
    "64:ff9b::5db8:d70e",
  ])("allows %s", (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });

  it("is no address", () => {
    expect(addressRefusal("example.com")).toBe("not an IP address");
  });
});

describe("checkEndpointUrl", () => {
  it.each([
    ["https://api.openai.com/v1", "https://api.openai.com/v1"],
    ["https://api.example.com/v1/", "https://api.example.com/v1"],
    ["  https://API.Example.com/openai/v1//  ", "https://api.example.com/openai/v1"],
    ["https://api.example.com", "https://api.example.com/"],
    ["https://api.example.com/v1?", "https://api.example.com/v1"],
    ["http://93.184.215.14:8080/v1", "http://93.184.215.14:8080/v1"],
    ["https://[2606:4700::1111]/v1", "https://[2606:4700::1111]/v1"],
    // A host name is judged on its addresses when it is called (lookup), not here.
    ["http://localhost:11434/v1", "http://localhost:11434/v1"],
  ])("accepts %j as %s", (raw, href) => {
    expect(checkEndpointUrl(raw, NONE).href).toBe(href);
  });

  it.each([
    ["http://127.0.0.1:11434/v1", /address 127\.0\.0\.1 is a loopback address/],
    // WHATWG URL spells these 127.0.0.1 before we classify.
    ["http://2130706433/v1", /address 127\.0\.0\.1 is a loopback/],
    ["http://0x7f.1/v1", /address 127\.0\.0\.1 is a loopback/],
    ["http://127.1/v1", /address 127\.0\.0\.1 is a loopback/],
    ["http://017700000001/v1", /address 127\.0\.0\.1 is a loopback/],
    ["http://0/v1", /address 0\.0\.0\.0 is the unspecified address/],
    ["http://[::1]:8080/v1", /address ::1 is a loopback address/],
    ["http://[::ffff:127.0.0.1]/v1", /address ::ffff:7f00:1 is an IPv6 form of 127\.0\.0\.1, a loopback address/],
    ["http://[::ffff:7f00:1]/v1", /IPv6 form of 127\.0\.0\.1/],
    ["http://169.254.169.254/latest", /link-local/],
    ["http://10.1.2.3:8000/v1", /private-network/],
    ["http://[fd00::1]/v1", /unique-local/],
    ["http://100.64.1.1/v1", /carrier-grade NAT/],
    ["http://[64:ff9b::7f00:1]/v1", /IPv6 form of 127\.0\.0\.1/],
  ])("refuses %j (address)", (raw, message) => {
    expect(() => checkEndpointUrl(raw, NONE)).toThrow(message);
  });

  it.each([
    ["ftp://api.example.com/v1", "The endpoint URL must start with http:// or https://."],
    ["file:///etc/passwd", "The endpoint URL must start with http:// or https://."],
    ["javascript:alert(1)", "The endpoint URL must start with http:// or https://."],
    ["https://user:secret@api.example.com/v1", "The endpoint URL must not contain a user name or password; give the key separately."],
    ["https://:secret@api.example.com/v1", "The endpoint URL must not contain a user name or password; give the key separately."],
    ["https://api.example.com/v1?api-version=1", "The endpoint URL must not contain a query (?…) or a fragment (#…); give the base URL only."],
    ["https://api.example.com/v1#models", "The endpoint URL must not contain a query (?…) or a fragment (#…); give the base URL only."],
    ["api.example.com/v1", "The endpoint URL is not a valid URL; give one like https://api.example.com/v1."],
    ["", "The endpoint URL is not a valid URL; give one like https://api.example.com/v1."],
    ["http://[::1/v1", "The endpoint URL is not a valid URL; give one like https://api.example.com/v1."],
    [`https://api.example.com/${"a".repeat(2048)}`, "The endpoint URL is longer than 2048 characters."],
  ])("refuses %j", (raw, message) => {
    expect(() => checkEndpointUrl(raw, NONE)).toThrow(message);
  });

  it("throws a 400 HttpError with code endpoint_refused", () => {
    let thrown: unknown;
    try {
      checkEndpointUrl("http://127.0.0.1/v1", NONE);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OutboundRefusedError);
    expect(thrown).toBeInstanceOf(HttpError);
    expect(thrown).toMatchObject({ status: 400, code: "endpoint_refused", name: "OutboundRefusedError" });
  });

  it("accepts exactly 2048 characters", () => {
    const raw = `https://api.example.com/${"a".repeat(2048 - "https://api.example.com/".length)}`;
    expect(raw).toHaveLength(2048);
    expect(checkEndpointUrl(raw, NONE).href).toBe(raw);
  });
});

describe("the allowance (AI_ENDPOINT_ALLOWED_PRIVATE)", () => {
  it("parses nothing as nothing allowed", () => {
    for (const spec of [undefined, "", " , "]) {
      const allowance = parseAllowance(spec);
      expect(allowance.any).toBe(false);
      expect(allowance.hosts.size).toBe(0);
      expect(allowance.ranges).toHaveLength(0);
    }
  });

  it("parses hosts, IPs and CIDR ranges", () => {
    const allowance = parseAllowance(" 127.0.0.1, 10.0.0.0/8 ,Gateway.Internal., fd00::/8, [::1], ollama_box ");
    expect(allowance.any).toBe(false);
    expect([...allowance.hosts]).toEqual(["gateway.internal", "ollama_box"]);
    expect(allowance.ranges.map(([ip, bits]) => `${ip.toString()}/${bits}`)).toEqual(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8", "::1/128"]);
  });

  it("parses * as every address", () => {
    expect(parseAllowance("*").any).toBe(true);
    expect(parseAllowance("10.0.0.0/8, *").any).toBe(true);
  });

  it.each(["not a host!", "10.0.0.0/33", "fd00::/129", "http://10.0.0.1", "gateway.internal:8080"])("refuses the entry %j", (entry) => {
    expect(() => parseAllowance(`127.0.0.1,${entry}`)).toThrow(`AI_ENDPOINT_ALLOWED_PRIVATE: "${entry}" is not a host name, an IP address or a CIDR range.`);
  });

  it.each([
    ["127.0.0.1", "http://127.0.0.1:11434/v1"],
    ["127.0.0.1", "http://[::ffff:127.0.0.1]:11434/v1"],
    ["10.0.0.0/8", "http://10.20.30.40/v1"],
    ["::ffff:10.0.0.0/104", "http://10.20.30.40/v1"],
    ["172.16.0.0/12", "http://172.20.0.5/v1"],
    ["::1", "http://[::1]:1234/v1"],
    ["fd00::/8", "http://[fd00::1]/v1"],
    ["*", "http://[::]/v1"],
    ["*", "http://169.254.169.254/v1"],
  ])("%j allows %s", (allowed, raw) => {
    expect(() => checkEndpointUrl(raw, { allowed })).not.toThrow();
  });

  it.each([
    ["127.0.0.1", "http://127.0.0.2/v1"],
    ["127.0.0.1", "http://[::1]/v1"],
    ["10.0.0.0/8", "http://192.168.1.1/v1"],
    ["fd00::/8", "http://[fc00::1]/v1"],
    // A host entry allows that name, whatever it resolves to, not an address typed in.
    ["gateway.internal", "http://10.0.0.1/v1"],
  ])("%j does not allow %s", (allowed, raw) => {
    expect(() => checkEndpointUrl(raw, { allowed })).toThrow(OutboundRefusedError);
  });

  it("is read from the environment as an optional string", () => {
    expect(loadEnv({ AI_ENDPOINT_ALLOWED_PRIVATE: " 127.0.0.1,10.0.0.0/8 " }).AI_ENDPOINT_ALLOWED_PRIVATE).toBe("127.0.0.1,10.0.0.0/8");
    expect(loadEnv({ AI_ENDPOINT_ALLOWED_PRIVATE: "" }).AI_ENDPOINT_ALLOWED_PRIVATE).toBeUndefined();
    expect(loadEnv({}).AI_ENDPOINT_ALLOWED_PRIVATE).toBeUndefined();
  });
});
