/**
 * The videos CSV the CSV benches read and write back (bench/csv-read.ts, bench/csv-writeback.ts): `rows`
 * videos, 10 per bundle, CRLF line endings, with quoted commas, quotes and line breaks in some cells, and
 * every seventh row a carousel. Written in batches, so a 400,000-row file never sits in memory.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";

export async function writeVideosCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(
    "video_ref,bundle_ref,position,video_type,description,target_publish_date,video_url,carousel_images,publish,notes\r\n",
  );
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const bundle = `b${Math.floor(i / 10)}`;
    const carousel = i % 7 === 0;
    batch.push(
      [
        `v${i}`,
        bundle,
        "",
        carousel ? "carousel" : "video",
        i % 5 === 0 ? `"Spring look #${i}, with a comma and ""quotes"""` : `Spring look #${i} #ootd #style`,
        `2027-03-${String(1 + (i % 28)).padStart(2, "0")}`,
        carousel ? "" : `https://example.com/media/${bundle}/${i}.mp4`,
        carousel ? `https://example.com/c/${i}-1.jpg;https://example.com/c/${i}-2.jpg` : "",
        i % 3 === 0 ? "no" : "yes",
        i % 11 === 0 ? `"note\r\non two lines"` : "",
      ].join(","),
    );
    if (batch.length === 1000) {
      if (!out.write(`${batch.join("\r\n")}\r\n`)) await once(out, "drain");
      batch = [];
    }
  }
  if (batch.length > 0) out.write(`${batch.join("\r\n")}\r\n`);
  out.end();
  await once(out, "finish");
}
