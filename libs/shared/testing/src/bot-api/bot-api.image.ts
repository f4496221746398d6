// ---------------------------------------------------------------------------------------------
// Just enough image sniffing to answer like Telegram: a photo must be a real PNG, JPEG or GIF
// (else IMAGE_PROCESS_FAILED), and the returned PhotoSize carries its width and height.
// ---------------------------------------------------------------------------------------------

/** Width and height in pixels of a PNG, JPEG or GIF; undefined for anything else. */
export function imageDimensions(data: Buffer): { width: number; height: number } | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a) {
    return nonEmpty(data.readUInt32BE(16), data.readUInt32BE(20));
  }
  if (data.length >= 10 && data.subarray(0, 4).toString('latin1') === 'GIF8') {
    return nonEmpty(data.readUInt16LE(6), data.readUInt16LE(8));
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) return jpegDimensions(data);
  return undefined;
}

/** Walks the JPEG segments up to the first start-of-frame marker, which holds the size. */
function jpegDimensions(data: Buffer): { width: number; height: number } | undefined {
  let position = 2;
  while (position + 9 < data.length) {
    if (data[position] !== 0xff) return undefined;
    const marker = data[position + 1] as number;
    if (marker === 0xff) {
      position += 1;
      continue;
    }
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) return nonEmpty(data.readUInt16BE(position + 7), data.readUInt16BE(position + 5));
    position += 2 + data.readUInt16BE(position + 2);
  }
  return undefined;
}

function nonEmpty(width: number, height: number): { width: number; height: number } | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}
