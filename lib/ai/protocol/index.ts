export { createProtocolParser, parseProtocol, MAX_COMMAND_BYTES, type ProtocolParserOptions } from "./parser";
