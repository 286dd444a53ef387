package dev.vbuf.cli;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.WaitStrategy;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/**
 * One converter per enum-like flag value, used by every command that takes the flag: the
 * place where its accepted spellings and its error message live. A bad value is a
 * {@link TypeConversionException} (exit code 2) naming the flag, the value and what is accepted.
 */
final class Converters {
    private Converters() {
    }

    /** {@code --policy}: block, fail, drop-oldest, adaptive. */
    static final class Policy implements ITypeConverter<Overflow> {
        static final String ACCEPTED = "block, fail, drop-oldest, adaptive";

        @Override
        public Overflow convert(String text) {
            return switch (text.strip().toLowerCase(Locale.ROOT)) {
                case "block" -> Overflow.BLOCK;
                case "fail" -> Overflow.FAIL;
                case "drop-oldest", "drop_oldest" -> Overflow.DROP_OLDEST;
                case "adaptive" -> Overflow.ADAPTIVE;
                default -> throw new TypeConversionException("--policy " + text + " is not one of " + ACCEPTED);
            };
        }

        /** The flag's spelling of a policy. */
        static String name(Overflow o) {
            return o.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** {@code --wait}: how a waiting thread waits. */
    enum Wait {
        SPIN, YIELD, PARK, FUTEX;

        WaitStrategy strategy() {
            return WaitStrategy.parse(name());
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final class WaitConverter implements ITypeConverter<Wait> {
        @Override
        public Wait convert(String text) {
            return switch (text.strip().toLowerCase(Locale.ROOT)) {
                case "spin" -> Wait.SPIN;
                case "yield" -> Wait.YIELD;
                case "park" -> Wait.PARK;
                case "futex" -> Wait.FUTEX;
                default -> throw new TypeConversionException("--wait " + text + " is not one of spin, yield, park, futex");
            };
        }
    }

    /** {@code --format}: a pixel format name or a V4L2 fourcc. */
    static final class Format implements ITypeConverter<PixelFormat> {
        @Override
        public PixelFormat convert(String text) {
            try {
                return PixelFormat.parse(text);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("--format " + text + " is not a known pixel format. " + PixelFormat.acceptedFormats());
            }
        }
    }

    /** {@code --memory}: see {@link MemorySpec}. */
    static final class Memory implements ITypeConverter<MemorySpec> {
        @Override
        public MemorySpec convert(String text) {
            try {
                return MemorySpec.parse(text);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
