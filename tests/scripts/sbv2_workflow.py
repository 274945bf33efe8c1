"""Style-Bert-VITS2 2.5.0 (its PyPI package, unchanged) through the steps of its workflow that the
package holds, on random weights: ``python sbv2_workflow.py STEP FOLDER``.

- ``make``: the inputs, built once: a tiny float16 DeBERTa-v2 with a character tokenizer
  (``ta_compat._fixtures``), a tiny JP-Extra model (``SynthesizerTrn`` of Style-Bert-VITS2 with
  random weights, saved with its own ``save_safetensors``), its ``config.json`` and style vectors;
- ``librosa``: what ``resample.py`` and ``mel_processing.py`` import first: librosa 0.9.2, then a
  ``kaiser_best`` resampling (resampy's filter file, found through ``pkg_resources``);
- ``bert``: the BERT features as ``bert_gen.py`` makes them (``extract_bert_feature`` after
  ``load_model``/``load_tokenizer``), and a plain ``from_pretrained`` of the same folder;
- ``tts``: ``TTSModel(...).infer`` of a Japanese sentence, as the app and the server call it;
- ``onnx``: ``convert_onnx.py``'s export of the JP-Extra model (its forward replaced by ``infer``,
  ``torch.onnx.export`` without ``dynamo=``), then ``onnx.checker`` and an onnxruntime run.

Every step but ``make`` imports no ta_compat: the shims come from the installed ``.pth``. Each
prints ``RESULT {json}``, an upstream failure as ``{"error": "<class>: <message>"}``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Dict

TEXT = "今日はいい天気ですね。"
STYLE_VECTOR_SIZE = 256  # Style-Bert-VITS2's pyannote embeddings (style_gen.py)


def paths(folder: str) -> Dict[str, str]:
    """Where ``make`` puts each input."""
    return {
        "bert": os.path.join(folder, "tiny-deberta"),
        "model": os.path.join(folder, "model", "tiny.safetensors"),
        "config": os.path.join(folder, "model", "config.json"),
        "styles": os.path.join(folder, "model", "style_vectors.npy"),
        "onnx": os.path.join(folder, "tiny.onnx"),
    }


def make(folder: str) -> Dict[str, Any]:
    """The tiny BERT, model, config and style vectors."""
    import numpy as np
    import torch
    from style_bert_vits2.models.hyper_parameters import HyperParameters
    from style_bert_vits2.models.utils.safetensors import save_safetensors

    from ta_compat._fixtures import write_tiny_deberta

    where = paths(folder)
    write_tiny_deberta(folder)
    os.makedirs(os.path.dirname(where["model"]), exist_ok=True)
    hps = HyperParameters()
    hps.model.inter_channels = hps.model.hidden_channels = 64
    hps.model.filter_channels = 128
    hps.model.n_layers = 3  # the speaker-conditioned layer is the third
    hps.model.upsample_initial_channel = 64
    hps.model.gin_channels = 64
    hps.model.use_wavlm_discriminator = False
    with open(where["config"], "w", encoding="utf-8") as file:
        file.write(hps.model_dump_json())
    torch.manual_seed(0)
    net_g = _random_net_g(hps)
    save_safetensors(net_g, 0, where["model"], for_infer=True)
    np.save(where["styles"], np.random.default_rng(0).normal(size=(1, STYLE_VECTOR_SIZE)).astype(np.float32))
    return {"made": sorted(where)}


def _random_net_g(hps: Any) -> Any:
    """The JP-Extra synthesizer as Style-Bert-VITS2's ``get_net_g`` builds it (every ``hps.model``
    field as a keyword), with random weights."""
    from style_bert_vits2.models.models_jp_extra import SynthesizerTrn
    from style_bert_vits2.nlp.symbols import SYMBOLS

    fields = {name: getattr(hps.model, name) for name in type(hps.model).model_fields}
    return SynthesizerTrn(
        n_vocab=len(SYMBOLS),
        spec_channels=hps.data.filter_length // 2 + 1,
        segment_size=hps.train.segment_size // hps.data.hop_length,
        n_speakers=hps.data.n_speakers,
        **fields,
    ).eval()


def _outcome(step: Callable[[str], Dict[str, Any]], folder: str) -> Dict[str, Any]:
    """The step's result, or the upstream error it raised (its class and first line)."""
    try:
        return step(folder)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def librosa_step(folder: str) -> Dict[str, Any]:
    """librosa 0.9.2's import and a kaiser_best resampling (resampy's filter file)."""
    import librosa
    import numpy as np

    samples = np.sin(np.linspace(0, 440 * 2 * np.pi, 44100)).astype(np.float32)
    resampled = librosa.resample(samples, orig_sr=44100, target_sr=22050, res_type="kaiser_best")
    return {"librosa": librosa.__version__, "resampled": len(resampled)}


def _load_bert(folder: str) -> None:
    from style_bert_vits2.constants import Languages
    from style_bert_vits2.nlp import bert_models

    bert_models.load_model(Languages.JP, paths(folder)["bert"])
    bert_models.load_tokenizer(Languages.JP, paths(folder)["bert"])


def bert_step(folder: str) -> Dict[str, Any]:
    """``bert_gen.py``'s features (through ``clean_text`` and ``extract_bert_feature``), and a plain
    script's ``from_pretrained`` of the same folder."""
    from style_bert_vits2.constants import Languages
    from style_bert_vits2.nlp import bert_models, clean_text, extract_bert_feature
    from transformers import AutoModelForMaskedLM

    _load_bert(folder)
    normalized, _phones, _tones, word2ph = clean_text(TEXT, Languages.JP, use_jp_extra=True, raise_yomi_error=False)
    feature = extract_bert_feature(normalized, word2ph, Languages.JP, "cpu")
    plain = AutoModelForMaskedLM.from_pretrained(paths(folder)["bert"])
    return {
        "sbv2_model": str(next(bert_models.load_model(Languages.JP).parameters()).dtype),
        "feature": str(feature.dtype),
        "feature_shape": list(feature.shape),
        "plain_script": str(next(plain.parameters()).dtype),
    }


def tts_step(folder: str) -> Dict[str, Any]:
    """``TTSModel.infer`` of ``TEXT`` on the tiny model."""
    from pathlib import Path

    import numpy as np
    from style_bert_vits2.tts_model import TTSModel

    _load_bert(folder)
    where = paths(folder)
    model = TTSModel(Path(where["model"]), Path(where["config"]), Path(where["styles"]), "cpu")
    rate, audio = model.infer(TEXT)
    return {"rate": rate, "samples": len(audio), "dtype": str(audio.dtype), "finite": bool(np.isfinite(audio).all())}


def onnx_step(folder: str) -> Dict[str, Any]:
    """``convert_onnx.py``'s JP-Extra export (Style-Bert-VITS2 master), then the checker and a run."""
    import numpy as np
    import onnx
    import onnxruntime
    import torch
    from style_bert_vits2.constants import Languages
    from style_bert_vits2.models.hyper_parameters import HyperParameters
    from style_bert_vits2.models.infer import get_net_g, get_text

    _load_bert(folder)
    where = paths(folder)
    hps = HyperParameters.load_from_json(where["config"])
    net_g = get_net_g(where["model"], hps.version, "cpu", hps)  # what TTSModel.load() holds
    _bert, ja_bert, _en_bert, phones, tones, lang_ids = get_text(TEXT, Languages.JP, hps, "cpu")
    inputs = (
        phones.unsqueeze(0),
        torch.LongTensor([phones.size(0)]),
        torch.LongTensor([0]),
        tones.unsqueeze(0),
        lang_ids.unsqueeze(0),
        ja_bert.unsqueeze(0),
        torch.from_numpy(np.load(where["styles"])[0]).unsqueeze(0),  # style 0 at weight 1: the vector itself
        torch.tensor(1.0),
        torch.tensor(0.0),
        torch.tensor(0.667),
        torch.tensor(0.8),
    )
    names = ["x_tst", "x_tst_lengths", "sid", "tones", "language", "bert", "style_vec"]
    names += ["length_scale", "sdp_ratio", "noise_scale", "noise_scale_w"]

    def forward_jp_extra(*args: Any) -> Any:
        x, x_lengths, sid, tone, language, bert, style_vec, length_scale, sdp_ratio, noise_scale, noise_scale_w = args
        return net_g.infer(
            x,
            x_lengths,
            sid,
            tone,
            language,
            bert,
            style_vec,
            length_scale=length_scale,
            sdp_ratio=sdp_ratio,
            noise_scale=noise_scale,
            noise_scale_w=noise_scale_w,
        )

    net_g.forward = forward_jp_extra
    torch.onnx.export(  # as convert_onnx.py calls it: no dynamo=
        model=net_g,
        args=inputs,
        f=where["onnx"],
        verbose=False,
        input_names=names,
        output_names=["output"],
        dynamic_axes={
            "x_tst": {0: "batch_size", 1: "x_tst_max_length"},
            "x_tst_lengths": {0: "batch_size"},
            "sid": {0: "batch_size"},
            "tones": {0: "batch_size", 1: "x_tst_max_length"},
            "language": {0: "batch_size", 1: "x_tst_max_length"},
            "bert": {0: "batch_size", 2: "x_tst_max_length"},
            "style_vec": {0: "batch_size"},
        },
    )
    onnx.checker.check_model(where["onnx"])
    session = onnxruntime.InferenceSession(where["onnx"], providers=["CPUExecutionProvider"])
    feed = {
        argument.name: value.numpy() for argument, value in zip(session.get_inputs(), inputs) if argument.name in names
    }
    (audio,) = session.run(["output"], feed)[:1]
    return {"onnx_bytes": os.path.getsize(where["onnx"]), "output_shape": list(np.shape(audio))}


STEPS: Dict[str, Callable[[str], Dict[str, Any]]] = {
    "librosa": librosa_step,
    "bert": bert_step,
    "tts": tts_step,
    "onnx": onnx_step,
}


def main() -> None:
    """Run one step on the folder ``make`` filled; ``make`` itself must succeed."""
    step, folder = sys.argv[1], sys.argv[2]
    result = make(folder) if step == "make" else _outcome(STEPS[step], folder)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
