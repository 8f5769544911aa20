//! Length-prefixed big-endian fields, written and read with bounds checks: the pieces both
//! envelope formats (compact and ESDK) are made of. Nothing here panics on any input.

use super::format::{EncryptedDataKey, EncryptionContext, EnvelopeError, MAX_U16_FIELD};

pub(super) fn put_count(
    out: &mut Vec<u8>,
    count: usize,
    field: &'static str,
) -> Result<(), EnvelopeError> {
    let count = u16::try_from(count).map_err(|_| EnvelopeError::TooLarge {
        field,
        len: count,
        max: MAX_U16_FIELD,
    })?;
    out.extend_from_slice(&count.to_be_bytes());
    Ok(())
}

pub(super) fn put_field(
    out: &mut Vec<u8>,
    bytes: &[u8],
    field: &'static str,
) -> Result<(), EnvelopeError> {
    put_count(out, bytes.len(), field)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// The pair count and the pairs, sorted by key (the context is a `BTreeMap`): key length, key,
/// value length, value.
pub(super) fn put_context(
    out: &mut Vec<u8>,
    context: &EncryptionContext,
) -> Result<(), EnvelopeError> {
    put_count(out, context.len(), "encryption context pair count")?;
    for (key, value) in context {
        put_field(out, key.as_bytes(), "encryption context key")?;
        put_field(out, value.as_bytes(), "encryption context value")?;
    }
    Ok(())
}

/// The key count and each encrypted data key: provider id, key id (the ESDK's provider info),
/// the wrapped key, each u16-length-prefixed.
pub(super) fn put_encrypted_keys(
    out: &mut Vec<u8>,
    keys: &[EncryptedDataKey],
) -> Result<(), EnvelopeError> {
    put_count(out, keys.len(), "encrypted data key count")?;
    for edk in keys {
        put_field(out, edk.provider_id.as_bytes(), "provider id")?;
        put_field(out, edk.key_id.as_bytes(), "key id (provider info)")?;
        put_field(out, &edk.ciphertext, "encrypted data key")?;
    }
    Ok(())
}

/// A bounds-checked cursor over untrusted bytes: every read is checked, none panics.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(super) fn take(
        &mut self,
        n: usize,
        field: &'static str,
    ) -> Result<&'a [u8], EnvelopeError> {
        let truncated = EnvelopeError::Truncated {
            field,
            offset: self.pos,
            needed: n,
            available: self.remaining(),
        };
        let end = self.pos.checked_add(n).ok_or_else(|| truncated.clone())?;
        let bytes = self.buf.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    pub(super) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], EnvelopeError> {
        let bytes = self.take(N, field)?;
        <[u8; N]>::try_from(bytes).map_err(|_| EnvelopeError::Malformed(format!("{field} length")))
    }

    pub(super) fn u8(&mut self, field: &'static str) -> Result<u8, EnvelopeError> {
        Ok(u8::from_be_bytes(self.array(field)?))
    }

    pub(super) fn u16(&mut self, field: &'static str) -> Result<u16, EnvelopeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(super) fn u32(&mut self, field: &'static str) -> Result<u32, EnvelopeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A u16 length followed by that many bytes of UTF-8.
    pub(super) fn string(&mut self, field: &'static str) -> Result<String, EnvelopeError> {
        let len = usize::from(self.u16(field)?);
        let bytes = self.take(len, field)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| EnvelopeError::Malformed(format!("{field} is not valid UTF-8")))
    }
}
