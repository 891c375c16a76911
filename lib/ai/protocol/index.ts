export { createProtocolParser, parseProtocol, MAX_COMMAND_BYTES, type ProtocolParserOptions, type ParseProtocolOptions } from "./parser";
