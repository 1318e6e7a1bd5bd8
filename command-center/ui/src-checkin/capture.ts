/** Longest side of the frames sent, in pixels: enough for the face models, small to upload. */
const MAX_SIDE = 640;

/** Open the front camera. */
export function openCamera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } } });
}

/** Stop every track of the stream (the camera light goes off). */
export function closeCamera(stream: MediaStream | undefined): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
}

/** One frame of the video as captured (not mirrored like the preview), with its sharpness. */
export interface Frame {
  jpeg: Blob;
  sharpness: number;
}

/** Grab the current video frame as a JPEG, scaled to at most `MAX_SIDE`. */
export async function grab(video: HTMLVideoElement): Promise<Frame> {
  const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('no 2D canvas');
  g.drawImage(video, 0, 0, canvas.width, canvas.height);
  const sharpness = sharpnessOf(g.getImageData(0, 0, canvas.width, canvas.height));
  const jpeg = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no JPEG'))), 'image/jpeg', 0.88));
  return { jpeg, sharpness };
}

/** Mean squared difference of neighbouring pixels' brightness: a blurred or shaken frame scores low. */
function sharpnessOf(img: ImageData): number {
  const { data, width, height } = img;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height - 1; y += 2) {
    for (let x = 0; x < width - 1; x += 2) {
      const i = (y * width + x) * 4;
      const v = data[i]! + data[i + 1]! + data[i + 2]!;
      const right = data[i + 4]! + data[i + 5]! + data[i + 6]!;
      const below = data[i + width * 4]! + data[i + width * 4 + 1]! + data[i + width * 4 + 2]!;
      sum += (v - right) ** 2 + (v - below) ** 2;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Grab `count` frames `everyMs` apart. */
export async function burst(video: HTMLVideoElement, count: number, everyMs: number): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(everyMs);
    out.push(await grab(video));
  }
  return out;
}

/** The sharpest frame. */
export function sharpest(frames: Frame[]): Frame {
  return frames.reduce((a, b) => (b.sharpness > a.sharpness ? b : a));
}

/** Where the phone is; undefined if refused, unavailable or too slow. */
export function locate(timeoutMs: number): Promise<GeolocationPosition | undefined> {
  return new Promise((resolve) => {
    if (!('geolocation' in navigator)) return resolve(undefined);
    navigator.geolocation.getCurrentPosition(resolve, () => resolve(undefined), { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
