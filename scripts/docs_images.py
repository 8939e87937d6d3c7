"""Helpers of scripts/docs_screenshots.sh (the project's Python: Pillow and matplotlib, TensorBoard):

    docs_images.py shrink PNG             crop the page's blank bottom, palette-quantize (docs stay small)
    docs_images.py events RUN_DIR PNG     TensorBoard's event reader on RUN_DIR's event file, its step
                                          scalars drawn as TensorBoard's scalar cards would show them
                                          (the fallback when no browser can render TensorBoard itself)
"""
import glob
import math
import sys

from PIL import Image, ImageChops


def shrink(path, margin=24):
    image = Image.open(path).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + margin)))
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def events(run, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tensorboard.backend.event_processing import event_accumulator
    files = sorted(glob.glob(f"{run}/events.out.tfevents.*"))
    if not files:
        sys.exit(f"docs_images: no event file in {run}")
    reader = event_accumulator.EventAccumulator(files[-1], size_guidance={event_accumulator.SCALARS: 0})
    reader.Reload()
    tags = [t for t in reader.Tags()["scalars"] if t.split("/")[-1] in
            ("reward", "loss", "entropy", "grad_norm", "length_mean", "mean")][:9]
    columns = 3
    fig, axes = plt.subplots(math.ceil(len(tags) / columns), columns, figsize=(12, 3 * math.ceil(len(tags) / columns)),
                             squeeze=False)
    for ax, tag in zip(axes.flat, tags):
        scalars = reader.Scalars(tag)
        ax.plot([s.step for s in scalars], [s.value for s in scalars], color="#f57c00")
        ax.set_title(tag, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(tags):]:
        ax.set_visible(False)
    fig.suptitle(f"TensorBoard's event reader on {files[-1].split('/')[-1]}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    shrink(path)


if __name__ == "__main__":
    {"shrink": lambda: shrink(sys.argv[2]), "events": lambda: events(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
