"""Section 5: the local model (Qwen2.5-1.5B via llama.cpp) behind GenerativeAnswerer.stream: time to the
first token and generation speed per context cap, prompt sizes, and what keeping the model loaded saves."""

from __future__ import annotations

import gc
import time

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.generative import GenerativeAnswerer
from assistant.answering.local_model import LocalChatModel, LocalModelUnavailable, model_path
from assistant.answering.prompt import build_messages
from assistant.service import Klimawissen
from bench.context import Context, pick_questions
from bench.stats import median, summary, timed
from indexing.language import detect_language


def prompt_tokens(llama, messages) -> int:
    """Tokens of the prompt as llama.cpp sees it: the GGUF chat template applied to the messages."""
    plain = [{"role": m.role.value, "content": m.content or ""} for m in messages]
    try:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        eos, bos = llama.token_eos(), llama.token_bos()
        formatter = Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
        )
        text = formatter(messages=plain).prompt
        return len(llama.tokenize(text.encode(), add_bos=False, special=True))
    except Exception:  # no template in the file: the messages' text alone
        return len(llama.tokenize("\n".join(m["content"] for m in plain).encode(), add_bos=False))


def stream_answer(answerer: GenerativeAnswerer, llama, question: str, passages) -> dict:
    """One answer through GenerativeAnswerer.stream: draft, first model token, last token."""
    started = time.perf_counter()
    draft_at = first_at = last_at = None
    reply = ""
    for answer in answerer.stream(question, passages):
        now = time.perf_counter() - started
        if answer.stage == "draft":
            draft_at = now
        elif answer.stage == "generating":
            first_at = first_at if first_at is not None else now
            last_at, reply = now, answer.text
    tokens = len(llama.tokenize(reply.encode(), add_bos=False)) if reply else 0
    generation = (last_at - first_at) if first_at is not None else 0.0
    return {
        "ttft_s": first_at, "draft_s": draft_at, "tokens": tokens,
        "tokens_per_s": (tokens - 1) / generation if tokens > 1 and generation > 0 else None,
    }


def local_model(ctx: Context) -> dict:
    config = ctx.config
    data_dir = ctx.sample_index()
    try:
        with timed() as assembly:
            model_path(config.model_dir)
    except LocalModelUnavailable as error:
        return {"skipped": f"local model unavailable: {error}"}
    ctx.models_link(data_dir)
    service = Klimawissen(ctx.settings.replace(data_dir=data_dir, answer_backend="local"), embedder=ctx.embedder)
    with timed() as load:
        answerer = service.answerer
    if service.backend_notice or not isinstance(answerer, GenerativeAnswerer):
        return {"skipped": service.backend_notice or "the local backend did not start"}
    llm: LocalChatModel = answerer.llm
    llm.max_answer_tokens = config.gen_tokens
    llama = llm.load()
    fallback: ExtractiveAnswerer = answerer.fallback
    questions = pick_questions(config.local_questions + 1)
    retrieved = [(q.question, service.retrieve(q.question).passages) for q in questions]
    (first_question, first_passages), rest = retrieved[0], [r for r in retrieved[1:] if r[1]]
    first_cap = max(config.caps)
    ctx.progress(f"  model loaded in {load.seconds:.1f} s; first question after load (cap {first_cap})")
    first = stream_answer(GenerativeAnswerer(llm, "local", fallback, first_cap), llama, first_question, first_passages)
    per_cap = {}
    for cap in config.caps:
        ctx.progress(f"  cap {cap} characters: {len(rest)} questions")
        answerer_at_cap = GenerativeAnswerer(llm, "local", fallback, cap)
        runs, prompts, used = [], [], []
        for question, passages in rest:
            messages, fitted = build_messages(question, passages, detect_language(question), cap)
            prompts.append(prompt_tokens(llama, messages))
            used.append(len(fitted))
            runs.append(stream_answer(answerer_at_cap, llama, question, passages))
        ttft = [r["ttft_s"] for r in runs if r["ttft_s"] is not None]
        rates = [r["tokens_per_s"] for r in runs if r["tokens_per_s"]]
        per_cap[str(cap)] = {
            "questions": len(runs),
            "prompt_tokens_median": median(prompts), "prompt_tokens_max": max(prompts, default=0),
            "passages_used_median": median(used),
            "ttft_s": summary(ttft, 2),
            "generation_tokens_per_s_median": round(median(rates), 1),
            "effective_prompt_tokens_per_s_median": round(
                median([p / r["ttft_s"] for p, r in zip(prompts, runs) if r["ttft_s"]]), 1
            ),
            "draft_s_median": round(median([r["draft_s"] for r in runs if r["draft_s"] is not None]), 3),
        }
    later = per_cap[str(first_cap)]["ttft_s"]["p50"]
    result = {
        "model_file_assembly_s": round(assembly.seconds, 1),
        "load_s": round(load.seconds, 2),
        "answer_tokens_generated": config.gen_tokens,
        "questions": len(rest),
        "caps": per_cap,
        "resident": {
            "first_question_after_load_ttft_s": round(first["ttft_s"], 2) if first["ttft_s"] else None,
            "later_questions_ttft_p50_s": later,
            "cap": first_cap,
            "load_plus_first_ttft_s": round(load.seconds + (first["ttft_s"] or 0), 2),
        },
        "notes": [
            "Prompts: build_messages over the top_k passages our retriever returns for golden questions; "
            "TTFT is from calling GenerativeAnswerer.stream to the first non-empty model delta (extractive draft "
            "and prompt processing included); generation tokens/s from the first to the last token.",
            f"Answers are cut at {config.gen_tokens} tokens (max_answer_tokens) to bound the run; tokens/s hardly "
            "depends on it.",
            "The model stays loaded across questions, and llama-cpp-python reuses the KV cache of the common "
            "prompt prefix (the system message): 'first question after load' vs. later questions shows that; "
            "a model loaded per question would pay load_s on top every time.",
        ],
    }
    del service, answerer, llm, llama
    gc.collect()
    return result


def llama_threads(ctx: Context, threads: tuple[int, ...] = (1, 2)) -> dict:
    """Prompt and generation speed of llama.cpp with each thread count, on the same prompt, cache reset."""
    try:
        path = model_path(ctx.config.model_dir)
    except LocalModelUnavailable as error:
        return {"skipped": f"local model unavailable: {error}"}
    service = Klimawissen(ctx.settings.replace(data_dir=ctx.sample_index()), embedder=ctx.embedder)
    question = pick_questions(1)[0].question
    messages, _ = build_messages(question, service.retrieve(question).passages, detect_language(question),
                                 min(ctx.config.caps))
    results = {}
    for count in threads:
        llm = LocalChatModel(path.parent, threads=count, max_answer_tokens=ctx.config.gen_tokens)
        try:
            llama = llm.load()
        except LocalModelUnavailable as error:
            return {"skipped": f"local model unavailable: {error}"}
        tokens_in = prompt_tokens(llama, messages)
        prefill, generation = [], []
        for _ in range(ctx.config.reps):
            llama.reset()  # no prompt cache from the previous repetition
            started = time.perf_counter()
            first = last = None
            reply = ""
            for chunk in llm.stream_chat(messages):
                if chunk.delta:
                    now = time.perf_counter() - started
                    first = first if first is not None else now
                    last, reply = now, chunk.message.content
            tokens = len(llama.tokenize(reply.encode(), add_bos=False))
            prefill.append(tokens_in / first)
            if tokens > 1 and last > first:
                generation.append((tokens - 1) / (last - first))
        results[str(count)] = {"prompt_tokens": tokens_in, "prompt_tokens_per_s_median": round(median(prefill), 1),
                               "generation_tokens_per_s_median": round(median(generation), 1)}
        del llm, llama
        gc.collect()
    return results
