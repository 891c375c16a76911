export { crc32, zipBuffer, zipChunks, zipStream, type ZipEntry } from "./writer";
export { attachmentDisposition, projectZipEntries, safeArchiveName } from "./project-archive";
