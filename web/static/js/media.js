// The hall's own camera and microphone: preview and level meter for the pre-join check (relay.js
// sends them to the hub).

/** Open the camera and microphone (the browser asks the hall's permission); devices: {video, audio} ids. */
export function openCamera(devices = {}) {
  const exactly = (id) => (id ? { deviceId: { exact: id } } : {});
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, ...exactly(devices.video) },
    audio: { echoCancellation: true, noiseSuppression: true, ...exactly(devices.audio) },
  });
}

/** The device ids a stream's camera and microphone came from. */
export function devicesOf(stream) {
  const id = (tracks) => tracks[0]?.getSettings().deviceId ?? null;
  return { video: id(stream.getVideoTracks()), audio: id(stream.getAudioTracks()) };
}

/**
 * Drive a <meter> with the microphone's level (RMS of the waveform, 0..1) until stop() is called.
 * onLevel gets every reading, so the page can say whether anything was heard.
 */
export function levelMeter(stream, meter, onLevel) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let frame = 0;
  const read = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const level = Math.min(1, Math.sqrt(sum / samples.length) * 4); // speech RMS sits near 0.05–0.2
    meter.value = level;
    onLevel(level);
    frame = requestAnimationFrame(read);
  };
  context.resume().then(read);
  return () => {
    cancelAnimationFrame(frame);
    context.close();
  };
}
