"""SoundFont 2 files read as data: presets, their zones and the recorded samples (SF2 spec 2.04).

A SoundFont holds 16-bit recordings (``sdta/smpl``) and the hierarchy that plays them
(``pdta``): a preset (bank, program) has zones, each naming an instrument and ranges of keys
and velocities; an instrument's zones name a sample and its generators (tuning, loop,
envelope, attenuation). :meth:`SoundFont.voices` resolves which samples a (preset, key,
velocity) plays, with every generator merged as the spec says: an instrument zone's values
override its global zone's and the defaults; a preset zone's values (and its global zone's)
are added to them; key and velocity ranges intersect.

The file is memory-mapped, so only the samples a clip plays are read.
"""
from __future__ import annotations

import functools
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import BenchmarkError


class SoundFontError(BenchmarkError, ValueError):
    """A SoundFont file is missing, malformed, or not the one a source is pinned to."""


# Generator operators used here (SF2 spec 2.04, section 8.1.2), and the defaults of those
# that are not 0.
START_OFFSET, END_OFFSET, LOOP_START_OFFSET, LOOP_END_OFFSET = 0, 1, 2, 3
START_COARSE, END_COARSE, LOOP_START_COARSE, LOOP_END_COARSE = 4, 12, 45, 50
FILTER_FC, FILTER_Q = 8, 9  # cents (absolute: 6.875 Hz * 2**(cents/1200)), centibels
DELAY_VOL, ATTACK_VOL, HOLD_VOL, DECAY_VOL, SUSTAIN_VOL, RELEASE_VOL = 33, 34, 35, 36, 37, 38
KEY_TO_HOLD, KEY_TO_DECAY = 39, 40  # timecents per key number, relative to key 60
INSTRUMENT, KEY_RANGE, VEL_RANGE = 41, 43, 44
ATTENUATION = 48  # centibels
COARSE_TUNE, FINE_TUNE = 51, 52  # semitones, cents
SAMPLE_ID, SAMPLE_MODES, SCALE_TUNING, EXCLUSIVE_CLASS, ROOT_KEY = 53, 54, 56, 57, 58
DEFAULTS = {FILTER_FC: 13500, DELAY_VOL: -12000, ATTACK_VOL: -12000, HOLD_VOL: -12000, DECAY_VOL: -12000,
            RELEASE_VOL: -12000, SCALE_TUNING: 100, ROOT_KEY: -1}
_RANGES = (KEY_RANGE, VEL_RANGE)
_INSTRUMENT_ONLY = {START_OFFSET, END_OFFSET, LOOP_START_OFFSET, LOOP_END_OFFSET, START_COARSE, END_COARSE,
                    LOOP_START_COARSE, LOOP_END_COARSE, SAMPLE_ID, SAMPLE_MODES, EXCLUSIVE_CLASS, ROOT_KEY}
_UNSIGNED = {SAMPLE_ID, INSTRUMENT, SAMPLE_MODES}


@dataclass(frozen=True)
class Sample:
    """A sample header: the recording's place in ``smpl`` (in samples) and how it was recorded."""

    name: str
    start: int
    end: int  # one past the last sample
    loop_start: int
    loop_end: int  # one past the last sample of the loop
    rate: int  # Hz
    original_key: int  # MIDI key it was recorded at
    correction_cents: int


@dataclass(frozen=True)
class Voice:
    """One sample as a (preset, key, velocity) plays it: generator values, merged (see module)."""

    sample: Sample
    generators: tuple[tuple[int, int], ...]  # (operator, value), sorted

    @functools.cached_property
    def _values(self) -> dict[int, int]:
        return {**DEFAULTS, **dict(self.generators)}

    def get(self, operator: int) -> int:
        """A generator's value (its default if the zones do not set it)."""
        return self._values.get(operator, 0)


def _chunks(data: mmap.mmap | bytes, start: int, stop: int):
    """(id, data offset, size) of the RIFF chunks in [start, stop)."""
    position = start
    while position + 8 <= stop:
        chunk_id, size = struct.unpack_from("<4sI", data, position)
        yield chunk_id.decode("latin-1"), position + 8, size
        position += 8 + size + (size & 1)


def _records(data, chunk: tuple[int, int], fmt: str) -> list[tuple]:
    offset, size = chunk
    width = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, data, offset + i * width) for i in range(size // width)]


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1").strip()


def _generator_value(operator: int, amount: int) -> int | tuple[int, int]:
    """A generator's amount (read as uint16): a (low, high) range, an unsigned or a signed value."""
    if operator in _RANGES:
        return amount & 0xFF, amount >> 8
    return amount if operator in _UNSIGNED else amount - 0x10000 if amount >= 0x8000 else amount


def _zones(bags: list[tuple], generators: list[tuple], first: int, stop: int, terminal: int) -> tuple[dict, list[dict]]:
    """(global zone, local zones) of one preset or instrument: generator dicts. A first zone
    without the terminal generator (instrument or sample id) is the global zone."""
    zones = []
    for bag in range(first, stop):
        zone = {op: _generator_value(op, amount)
                for op, amount in generators[bags[bag][0]:bags[bag + 1][0]]}
        zones.append(zone)
    if zones and terminal not in zones[0]:
        return zones[0], [z for z in zones[1:] if terminal in z]
    return {}, [z for z in zones if terminal in z]


def _in_range(zone: dict, key: int, velocity: int) -> bool:
    low, high = zone.get(KEY_RANGE, (0, 127))
    vlow, vhigh = zone.get(VEL_RANGE, (0, 127))
    return low <= key <= high and vlow <= velocity <= vhigh


class SoundFont:
    """A SoundFont 2 file: presets by (bank, program), their voices, and sample data."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise SoundFontError(f"{self.path}: cannot open the SoundFont ({exc.strerror})") from None
        with handle:
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self._data[:4] != b"RIFF" or self._data[8:12] != b"sfbk":
            raise SoundFontError(f"{self.path}: not a SoundFont 2 file (no RIFF sfbk header)")
        lists = {}
        for chunk_id, offset, size in _chunks(self._data, 12, len(self._data)):
            if chunk_id == "LIST":
                kind = self._data[offset:offset + 4].decode("latin-1")
                lists[kind] = {c: (o, s) for c, o, s in _chunks(self._data, offset + 4, offset + size)}
        try:
            pdta, smpl = lists["pdta"], lists["sdta"]["smpl"]
        except KeyError:
            raise SoundFontError(f"{self.path}: a SoundFont without sdta/smpl or pdta data") from None
        self._smpl = np.frombuffer(self._data, dtype="<i2", count=smpl[1] // 2, offset=smpl[0])
        headers = _records(self._data, pdta["phdr"], "<20sHHHIII")  # the last is the terminal record
        self._preset_bags = [bag for _, _, _, bag, *_ in headers]
        self._presets = {(bank, program): (_name(name), i) for i, (name, program, bank, *_) in enumerate(headers[:-1])}
        self._pbag = _records(self._data, pdta["pbag"], "<HH")
        self._pgen = _records(self._data, pdta["pgen"], "<HH")
        self._instruments = _records(self._data, pdta["inst"], "<20sH")
        self._ibag = _records(self._data, pdta["ibag"], "<HH")
        self._igen = _records(self._data, pdta["igen"], "<HH")
        self._samples = [Sample(_name(name), start, end, loop_start, loop_end, rate, key, correction)
                         for name, start, end, loop_start, loop_end, rate, key, correction, _, _
                         in _records(self._data, pdta["shdr"], "<20sIIIIIBbHH")]

    def __reduce__(self):
        """Pickled by path (a worker process maps the file again; a memory map cannot be pickled)."""
        return type(self), (self.path,)

    def preset_name(self, bank: int, program: int) -> str:
        if (bank, program) not in self._presets:
            raise SoundFontError(f"{self.path}: no preset at bank {bank}, program {program}")
        return self._presets[bank, program][0]

    @functools.cache
    def _preset_zones(self, bank: int, program: int) -> tuple[dict, list[dict]]:
        self.preset_name(bank, program)
        index = self._presets[bank, program][1]
        return _zones(self._pbag, self._pgen, self._preset_bags[index], self._preset_bags[index + 1], INSTRUMENT)

    @functools.cache
    def _instrument_zones(self, index: int) -> tuple[dict, list[dict]]:
        first, stop = self._instruments[index][1], self._instruments[index + 1][1]
        return _zones(self._ibag, self._igen, first, stop, SAMPLE_ID)

    def voices(self, bank: int, program: int, key: int, velocity: int) -> list[Voice]:
        """The samples a preset plays for a MIDI key and velocity (1-127), generators merged."""
        return _voices(self, bank, program, key, velocity)

    def samples(self, sample: Sample) -> np.ndarray:
        """The 16-bit recording of a sample, as float64 in [-1, 1)."""
        return self._smpl[sample.start:sample.end].astype(np.float64) / 32768.0


@functools.lru_cache(maxsize=4096)
def _voices(font: SoundFont, bank: int, program: int, key: int, velocity: int) -> list[Voice]:
    preset_global, preset_zones = font._preset_zones(bank, program)
    voices = []
    for preset_zone in preset_zones:
        merged_preset = {**preset_global, **preset_zone}
        if not _in_range(merged_preset, key, velocity):
            continue
        inst_global, inst_zones = font._instrument_zones(merged_preset[INSTRUMENT])
        for inst_zone in inst_zones:
            generators = {**inst_global, **inst_zone}
            if not _in_range(generators, key, velocity):
                continue
            for op, value in merged_preset.items():
                if op not in _INSTRUMENT_ONLY and op not in _RANGES and op != INSTRUMENT:
                    generators[op] = generators.get(op, DEFAULTS.get(op, 0)) + value
            for op in _RANGES:
                generators.pop(op, None)
            voices.append(Voice(font._samples[generators.pop(SAMPLE_ID)], tuple(sorted(generators.items()))))
    return voices

