"""run_audit with the deterministic FakeRuntime: plan, seeds, order, concurrency, cache, scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.audit_run.suites import injection_prompt, mini_suite

from weighbridge.audit.cache import CompletionCache
from weighbridge.audit.runfile import dump_run, load_run
from weighbridge.audit.runner import RunStats, derive_seed, run_audit
from weighbridge.audit.runtimes.fake import FakeRuntime
from weighbridge.audit.runtimes.messages import DOCUMENT_BEGIN, DOCUMENT_END, build_messages
from weighbridge.core.audit import GenerationSettings, Label, Outcome, Suite

SETTINGS = GenerationSettings(temperature=0.8, top_p=0.95, max_tokens=32, seed=42)


def test_greedy_pass_plus_samples_in_deterministic_order() -> None:
    suite = mini_suite(3)
    run = run_audit(FakeRuntime(suite.prompts), [suite], SETTINGS, samples=2)
    assert len(run.samples) == 3 * 3
    assert [(s.prompt_id, s.greedy, s.index) for s in run.samples] == [
        (p.id, g, i) for p in suite.prompts for g, i in ((True, 0), (False, 0), (False, 1))
    ]
    assert run.samples_per_prompt == 2 and run.greedy_pass and run.suites == {"mini": "1.0"}
    assert run.model.runtime == "fake" and run.model.digest and run.settings == SETTINGS
    assert run.started <= (run.finished or "") and [p.id for p in run.prompts] == [
        p.id for p in suite.prompts
    ]


def test_seeds_are_derived_from_base_seed_and_index_and_recorded() -> None:
    suite = mini_suite(2)
    fake = FakeRuntime(suite.prompts)
    run = run_audit(fake, [suite], SETTINGS, samples=3)
    for s in run.samples:
        if s.greedy:
            assert (s.settings.temperature, s.settings.top_p, s.settings.seed) == (0.0, 1.0, 42)
        else:
            assert (s.settings.temperature, s.settings.top_p) == (0.8, 0.95)
            assert s.settings.seed == derive_seed(42, s.index)
        assert s.settings.max_tokens == 32
    seeds = [s.settings.seed for s in run.samples if not s.greedy]
    assert len(set(seeds)) == 3  # three distinct seeds, reused for every prompt
    assert sorted((c.temperature, c.seed) for c in fake.calls) == sorted(
        (s.settings.temperature, s.settings.seed) for s in run.samples
    )
    assert derive_seed(42, 0) != derive_seed(43, 0) and 0 <= derive_seed(42, 0) < 2**31


def test_no_seed_means_base_seed_zero_and_is_recorded() -> None:
    suite = mini_suite(1)
    run = run_audit(FakeRuntime(suite.prompts), [suite], GenerationSettings(seed=None), samples=1)
    assert run.settings.seed == 0 and run.samples[1].settings.seed == derive_seed(0, 0)


def test_greedy_answers_repeat_samples_differ_by_seed() -> None:
    suite = mini_suite(1)
    run = run_audit(FakeRuntime(suite.prompts), [suite], SETTINGS, samples=3)
    again = run_audit(FakeRuntime(suite.prompts), [suite], SETTINGS, samples=3)
    assert [s.completion.text for s in run.samples] == [s.completion.text for s in again.samples]
    assert len({s.completion.text for s in run.samples}) == 4


def test_no_greedy_and_limit() -> None:
    suites = [mini_suite(3, "a"), mini_suite(3, "b")]
    run = run_audit(FakeRuntime(), suites, SETTINGS, samples=2, greedy=False, limit=4)
    assert [p.id for p in run.prompts] == ["a-0", "a-1", "b-0", "b-1"]  # the suites in turn
    assert len(run.samples) == 8 and not any(s.greedy for s in run.samples)
    assert run.suites == {"a": "1.0", "b": "1.0"} and not run.greedy_pass


def test_nothing_to_do_is_refused() -> None:
    with pytest.raises(ValueError):
        run_audit(FakeRuntime(), [mini_suite(1)], SETTINGS, samples=0, greedy=False)


def test_concurrency_runs_in_parallel_and_keeps_the_order() -> None:
    suite = mini_suite(6)
    serial = run_audit(FakeRuntime(suite.prompts), [suite], SETTINGS, samples=2)
    fake = FakeRuntime(suite.prompts, delay=0.02)
    parallel = run_audit(fake, [suite], SETTINGS, samples=2, concurrency=4)
    assert fake.max_active == 4
    assert [s.to_dict() | {"completion": None} for s in parallel.samples] == [
        s.to_dict() | {"completion": None} for s in serial.samples
    ]
    assert [s.completion.text for s in parallel.samples] == [s.completion.text for s in serial.samples]


def test_runtime_that_is_not_thread_safe_is_serialised() -> None:
    suite = mini_suite(4)
    fake = FakeRuntime(suite.prompts, delay=0.01, thread_safe=False)
    run = run_audit(fake, [suite], SETTINGS, samples=1, concurrency=4)
    assert fake.max_active == 1 and len(run.samples) == 8


def test_scripted_behaviours_are_scored() -> None:
    suite = mini_suite(4)
    script = {"mini-0": "truncate", "mini-1": "error", "mini-2": "think", "mini-3": "filter"}
    run = run_audit(FakeRuntime(suite.prompts, script), [suite], SETTINGS, samples=1)
    by_id = {s.prompt_id: s for s in run.samples if s.greedy}
    assert by_id["mini-0"].completion.outcome is Outcome.TRUNCATED
    assert by_id["mini-1"].completion.outcome is Outcome.ERROR
    assert by_id["mini-3"].completion.outcome is Outcome.FILTERED
    for pid in ("mini-0", "mini-1", "mini-3"):
        assert by_id[pid].score.label is Label.ERROR
    thinking = by_id["mini-2"].completion
    assert thinking.outcome is Outcome.OK and thinking.reasoning and "<think>" not in thinking.text
    assert by_id["mini-2"].score.label is not Label.ERROR


def test_injection_document_is_embedded_as_untrusted_content() -> None:
    p = injection_prompt()
    messages = build_messages(p)
    assert messages[0] == {"role": "system", "content": "You are a careful assistant."}
    user = messages[1]["content"]
    assert user.startswith(p.text) and p.document is not None
    assert user.index(DOCUMENT_BEGIN) < user.index(p.document) < user.index(DOCUMENT_END)
    suite = Suite("inj", "1", "", (p,))
    run = run_audit(FakeRuntime([p], {"inj-1": "follow-injection"}), [suite], SETTINGS, samples=0)
    assert "CANARY-7" in run.samples[0].completion.text and run.samples[0].prompt_id == "inj-1"


def test_cache_resumes_without_asking_again(tmp_path: Path) -> None:
    suite = mini_suite(3)
    cache = tmp_path / "cache.sqlite"
    first = FakeRuntime(suite.prompts)
    partial = run_audit(
        first, [Suite("mini", "1.0", "", suite.prompts[:2])], SETTINGS, samples=2, cache=cache
    )
    assert len(first.calls) == 6
    second = FakeRuntime(suite.prompts)
    stats = RunStats()
    full = run_audit(second, [suite], SETTINGS, samples=2, cache=cache, stats=stats)
    assert [c.prompt_id for c in second.calls] == ["mini-2"] * 3
    assert (stats.planned, stats.cached, stats.generated) == (9, 6, 3)
    assert [s.to_dict() for s in full.samples[:6]] == [s.to_dict() for s in partial.samples]
    third = FakeRuntime(suite.prompts)
    run_audit(third, [suite], SETTINGS, samples=2, cache=cache)
    assert third.calls == []
    with CompletionCache(cache) as c:
        assert len(c) == 9 and c.keys() == {s.cache_key for s in full.samples}


def test_cache_key_pins_settings_and_model(tmp_path: Path) -> None:
    suite = mini_suite(1)
    cache = tmp_path / "c.sqlite"
    run_audit(FakeRuntime(suite.prompts), [suite], SETTINGS, samples=1, cache=cache)
    other_temp = FakeRuntime(suite.prompts)
    run_audit(
        other_temp,
        [suite],
        GenerationSettings(temperature=0.5, top_p=0.95, max_tokens=32, seed=42),
        samples=1,
        cache=cache,
    )
    assert len(other_temp.calls) == 1  # greedy pass unchanged (cached); the sample at 0.5 is new
    other_model = FakeRuntime(suite.prompts, model_name="another")
    run_audit(other_model, [suite], SETTINGS, samples=1, cache=cache)
    assert len(other_model.calls) == 2


def test_errors_are_not_cached_and_are_retried(tmp_path: Path) -> None:
    suite = mini_suite(2)
    cache = tmp_path / "c.sqlite"
    run_audit(FakeRuntime(suite.prompts, {"mini-1": "error"}), [suite], SETTINGS, samples=1, cache=cache)
    healed = FakeRuntime(suite.prompts)
    run = run_audit(healed, [suite], SETTINGS, samples=1, cache=cache)
    assert [c.prompt_id for c in healed.calls] == ["mini-1", "mini-1"]
    assert all(s.completion.outcome is Outcome.OK for s in run.samples)


def test_progress_and_run_file_round_trip(tmp_path: Path) -> None:
    suite = mini_suite(2)
    seen: list[tuple[int, int]] = []
    run = run_audit(
        FakeRuntime(suite.prompts), [suite], SETTINGS, samples=1, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, 4) and seen[-1] == (4, 4) and len(seen) == 5
    dump_run(run, tmp_path / "run.json")
    assert load_run(tmp_path / "run.json").to_dict() == run.to_dict()


def test_a_runtime_that_raises_yields_error_samples() -> None:
    class Broken(FakeRuntime):
        def complete(self, messages, settings):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine crashed\nwith a traceback")

    suite = mini_suite(1)
    run = run_audit(Broken(suite.prompts), [suite], SETTINGS, samples=1)
    assert [s.completion.error for s in run.samples] == ["RuntimeError: engine crashed with a traceback"] * 2


def test_fake_runtime_rejects_unknown_behaviours() -> None:
    with pytest.raises(ValueError, match="unknown fake behaviour"):
        FakeRuntime(script={"x": "sing"})
